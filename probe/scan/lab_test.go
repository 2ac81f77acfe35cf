package scan

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/rawsock/rawsock/internal/netlab"
)

// The target of the lab tests: its ports and what each is made to do.
const (
	labTCPOpen1      = 22   // a TCP listener
	labTCPOpen2      = 80   // a TCP listener
	labTCPClosed     = 81   // nothing listens: the kernel answers RST
	labTCPDropped    = 8080 // an nftables rule drops the SYN
	labTCPProhibited = 8443 // an nftables rule answers ICMP administratively prohibited
	labUDPOpen       = 53   // a UDP service that answers every datagram
	labUDPSilent     = 161  // a UDP listener that never answers
	labUDPClosed     = 54   // nothing listens: the kernel answers ICMP port unreachable
	labUDPDropped    = 5000 // an nftables rule drops the datagram
	labUDPProhibited = 5001 // an nftables rule answers ICMP administratively prohibited
)

var interrupt = os.Interrupt

// labTarget makes h the scan target: listeners, a nftables table with drop
// and reject rules, and no ICMP rate limit, so that every closed UDP port
// gets its port unreachable however fast the scan.
func labTarget(t *testing.T, h *netlab.Host) {
	t.Helper()
	netlab.RequireTool(t, "nft")
	h.Sysctl("net.ipv4.icmp_ratelimit", "0")
	h.Sysctl("net.ipv6.icmp.ratelimit", "0")
	h.MustRun("nft", strings.Join([]string{
		"add table inet scanlab",
		"add chain inet scanlab in { type filter hook input priority 0 ; policy accept ; }",
		"add rule inet scanlab in tcp dport 8080 counter drop",
		"add rule inet scanlab in udp dport 5000 counter drop",
		"add rule inet scanlab in tcp dport 8443 reject with icmpx type admin-prohibited",
		"add rule inet scanlab in udp dport 5001 reject with icmpx type admin-prohibited",
	}, " ; "))
	h.MustDo(func() error {
		for _, port := range []string{"22", "80"} {
			l, err := net.Listen("tcp", "[::]:"+port)
			if err != nil {
				return err
			}
			t.Cleanup(func() { l.Close() })
		}
		for _, port := range []string{"53", "161"} {
			c, err := net.ListenPacket("udp", "[::]:"+port)
			if err != nil {
				return err
			}
			t.Cleanup(func() { c.Close() })
			if port == "53" {
				go answerUDP(c)
			}
		}
		return nil
	})
}

// answerUDP answers every datagram c receives with "ok", until c closes.
func answerUDP(c net.PacketConn) {
	buf := make([]byte, 2048)
	for {
		_, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		c.WriteTo([]byte("ok"), from)
	}
}
