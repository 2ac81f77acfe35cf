package scan

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ServicesFile is the system's table of service names, services(5); on
// Debian the netbase package provides it.
const ServicesFile = "/etc/services"

// Services maps ports to the names services(5) gives them.
type Services struct {
	names map[serviceKey]string
}

type serviceKey struct {
	port  uint16
	proto string
}

// LoadServices reads a services(5) file. A missing file is no error: every
// port is then unnamed.
func LoadServices(path string) (*Services, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return &Services{names: map[serviceKey]string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := ParseServices(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseServices reads services(5) lines, "name port/protocol [aliases…]
// [# comment]". Lines that do not fit are skipped, as getservent(3) skips
// them; the first name given for a port wins.
func ParseServices(r io.Reader) (*Services, error) {
	s := &Services{names: map[serviceKey]string{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		text, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(text)
		if len(f) < 2 {
			continue
		}
		portText, proto, ok := strings.Cut(f[1], "/")
		port, err := strconv.ParseUint(portText, 10, 16)
		if !ok || err != nil || proto == "" {
			continue
		}
		k := serviceKey{uint16(port), proto}
		if _, dup := s.names[k]; !dup {
			s.names[k] = f[0]
		}
	}
	return s, sc.Err()
}

// Name returns the service name of port/proto ("ssh" for 22/tcp), or "" when
// the table has none.
func (s *Services) Name(port uint16, proto string) string {
	if s == nil {
		return ""
	}
	return s.names[serviceKey{port, proto}]
}
