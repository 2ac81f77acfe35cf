package netlab

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var build struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// Binary builds the rawsock command once per test process and returns the
// path of the binary, for tests that run it as a separate process (inside a
// namespace, under a dropped capability, or killed by a signal).
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		// One binary per test package, rebuilt on every run at the same
		// path, so test runs leave nothing behind to clean up. The
		// directory is world-readable: tests run the binary as nobody.
		wd, _ := os.Getwd()
		sum := sha256.Sum256([]byte(wd))
		dir := filepath.Join(os.TempDir(), "rawsock-test-bin", hex.EncodeToString(sum[:6]))
		if build.err = os.MkdirAll(dir, 0o755); build.err != nil {
			return
		}
		for d := dir; d != os.TempDir(); d = filepath.Dir(d) {
			os.Chmod(d, 0o755)
		}
		build.path = filepath.Join(dir, "rawsock")
		cmd := exec.Command("go", "build", "-o", build.path, "github.com/rawsock/rawsock/cmd/rawsock")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("build rawsock: %v\n%s", build.err, build.out)
	}
	return build.path
}
