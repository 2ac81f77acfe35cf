package capture

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestFileName(t *testing.T) {
	at := time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		pattern         string
		byTime, bySize  bool
		count, maxFiles int
		want            string
	}{
		{"dump.pcap", false, true, 0, 0, "dump.pcap"},
		{"dump.pcap", false, true, 3, 0, "dump.pcap3"},
		{"dump.pcap", false, true, 0, 10, "dump.pcap0"},
		{"dump.pcap", false, true, 7, 100, "dump.pcap07"},
		{"d-%Y%m%d-%H%M%S.pcap", true, false, 0, 0, "d-20240305-070809.pcap"},
		{"d-%F_%T-%j-%s-%%-%q", true, false, 0, 0, "d-2024-03-05_07:08:09-065-1709622489-%-%q"},
		{"d-%H.pcap", true, true, 2, 0, "d-07.pcap2"},
	}
	for _, tt := range tests {
		if got := fileName(tt.pattern, tt.byTime, tt.count, tt.maxFiles, tt.bySize, at); got != tt.want {
			t.Errorf("fileName(%q, count %d, -W %d): got %q, want %q", tt.pattern, tt.count, tt.maxFiles, got, tt.want)
		}
	}
}

// rotateAll writes n packets of size bytes, one a second, and returns the
// files made with the packets each holds.
func rotateAll(t *testing.T, cfg RotateConfig, n, size int) map[string]int {
	t.Helper()
	dir := t.TempDir()
	cfg.Name = filepath.Join(dir, cfg.Name)
	cfg.Format, cfg.LinkType = Pcap, layers.LinkTypeRaw
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	r, err := NewRotatingWriter(cfg, start)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	for i := 0; i < n && !r.Done(); i++ {
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * time.Second), CaptureLength: size, Length: size}
		if err := r.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	sort.Strings(files)
	for _, f := range files {
		pkts, err := readAll(t, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got[filepath.Base(f)] = len(pkts)
	}
	return got
}

func TestRotateBySize(t *testing.T) {
	// 100 packets of 1000 bytes (1016 in the file), files of more than
	// 10,000 bytes: 10 packets per file, the next one starting a new file.
	got := rotateAll(t, RotateConfig{Name: "c.pcap", MaxBytes: 10000}, 100, 1000)
	if len(got) != 10 || got["c.pcap"] != 10 || got["c.pcap9"] != 10 {
		t.Errorf("got files %v, want c.pcap and c.pcap1 … c.pcap9 of 10 packets", got)
	}
}

func TestRotateRing(t *testing.T) {
	got := rotateAll(t, RotateConfig{Name: "r.pcap", MaxBytes: 10000, MaxFiles: 3}, 100, 1000)
	// 10 files' worth in a ring of 3: r.pcap0 holds the 10th file's.
	if len(got) != 3 || got["r.pcap0"] != 10 || got["r.pcap1"] != 10 || got["r.pcap2"] != 10 {
		t.Errorf("got files %v, want the ring r.pcap0 … r.pcap2", got)
	}
}

func TestRotateByTime(t *testing.T) {
	got := rotateAll(t, RotateConfig{Name: "t-%M%S.pcap", Every: 10 * time.Second}, 35, 10)
	want := map[string]int{"t-0000.pcap": 10, "t-0010.pcap": 10, "t-0020.pcap": 10, "t-0030.pcap": 5}
	if len(got) != len(want) {
		t.Fatalf("got files %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("got files %v, want %v", got, want)
		}
	}
	// -W with -G alone stops after that many files.
	got = rotateAll(t, RotateConfig{Name: "w-%M%S.pcap", Every: 10 * time.Second, MaxFiles: 2}, 35, 10)
	if len(got) != 2 || got["w-0000.pcap"] != 10 || got["w-0010.pcap"] != 10 {
		t.Errorf("-G 10 -W 2: got files %v, want two files of 10 packets", got)
	}
	if _, err := os.Stat(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
