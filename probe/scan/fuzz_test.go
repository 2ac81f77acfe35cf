package scan

import (
	"fmt"
	"strings"
	"testing"
)

func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"22", "22,80,8000-8100", "-", "90-80", "0", "65536", "-3", "65530-", "1,,2", " 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ports, err := ParsePorts(spec)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		seen := map[uint16]bool{}
		var b strings.Builder
		for i, p := range ports {
			if p == 0 || seen[p] {
				t.Fatalf("port %d is zero or repeated in %v", p, ports)
			}
			seen[p] = true
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, p)
		}
		again, err := ParsePorts(b.String())
		if err != nil || !equalPorts(again, ports) {
			t.Fatalf("%q gives %v, which written out gives %v, %v", spec, ports, again, err)
		}
	})
}

func FuzzRankNmapServices(f *testing.F) {
	f.Add([]byte(nmapServicesSample), "tcp")
	f.Add([]byte("x 1/udp NaN\n"), "udp")
	f.Add([]byte("x 0/tcp 1\n"), "tcp")
	f.Fuzz(func(t *testing.T, data []byte, proto string) {
		ports, err := RankNmapServices(strings.NewReader(string(data)), proto)
		if err != nil {
			return
		}
		seen := map[uint16]bool{}
		for _, p := range ports {
			if p == 0 || seen[p] {
				t.Fatalf("port %d is zero or repeated", p)
			}
			seen[p] = true
		}
	})
}

func FuzzParseServices(f *testing.F) {
	f.Add([]byte("ssh 22/tcp\nhttp 80/tcp www # web\n#x\n"))
	f.Add([]byte("a 99999/tcp\nb -1/udp\nc 5/\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseServices(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for k, name := range s.names {
			if name == "" || strings.ContainsAny(name, " \t\n#") || k.proto == "" {
				t.Fatalf("entry %v: %q", k, name)
			}
		}
	})
}

func FuzzLookupHosts(f *testing.F) {
	f.Add([]byte("127.0.0.1 localhost\n::1 localhost ip6-localhost\n"), "localhost")
	f.Add([]byte("fe80::1%eth0 x\n1.2.3.4\n"), "x")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		for _, a := range LookupHosts(strings.NewReader(string(data)), name) {
			if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
				t.Fatalf("address %v for %q", a, name)
			}
		}
	})
}

// FuzzReplies feeds any packet to every reading of the codec: none may
// panic, and whatever the codec takes as an answer the receive socket's BPF
// program must let through.
func FuzzReplies(f *testing.F) {
	for _, pkt := range fixturePackets(f) {
		f.Add(pkt)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		for _, m := range []Method{SYN, UDP} {
			for _, icmp := range []bool{false, true} {
				checkFilterCovers(t, m, icmp, pkt)
			}
		}
		for _, prog := range [][]byte{pkt} {
			for _, v6 := range []bool{false, true} {
				for _, p := range []uint8{protoTCP, protoUDP} {
					dst := target4
					if v6 {
						dst = target6
					}
					newVM(t, replyFilter(dst, p, 1234)).Run(prog)
					newVM(t, icmpFilter(dst, p)).Run(prog)
				}
			}
		}
	})
}
