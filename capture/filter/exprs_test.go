package filter_test

// corpus is the set of expressions compared with tcpdump: their programs
// with "tcpdump -O -d", the packets they select with "tcpdump -r". It
// covers the whole documented grammar; FuzzCompile starts from it too.
var corpus = []string{
	// protocols
	"ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "igmp", "sctp",
	"not ip", "! tcp", "ip and not tcp", "tcp or udp", "icmp or icmp6 or igmp",
	"ip proto 6", "ip proto 17 or ip proto 1", "ip6 proto 17", "proto 58", "ip proto \\udp",
	"proto \\tcp", "ip6 proto \\ipv6-icmp", "ether proto 0x0806", "ether proto \\ip6", "link proto 0x800",
	"ether proto 0x42", "ether proto 0xfe", "ether proto 6 or ether proto 0xf0",
	// hosts and nets
	"host 198.51.100.2", "src host 198.51.100.2", "dst host 203.0.113.2",
	"ip host 198.51.100.1", "arp host 198.51.100.1", "rarp src host 198.51.100.1",
	"src or dst host 198.51.100.2", "src and dst host 198.51.100.2", "dst and src 198.51.100.2",
	"host 198.51.100.2 and 203.0.113.2", "host 198.51.100.2 or 203.0.113.2 or 192.0.2.7",
	"net 198.51.100.0/24", "dst net 203.0.113.0/24", "net 198.51.100.0 mask 255.255.255.0",
	"src net 203.0.113", "net 10", "ip net 192.0.2.0/25", "net 0.0.0.0/0",
	"host 2001:db8:1::2", "ip6 dst host 2001:db8:2::2", "net 2001:db8::/32",
	"src net 2001:db8:1::/48 and dst net 2001:db8:2::/48", "ip6 host ::ffff:198.51.100.2",
	"host fe80::1", "net ::/0",
	// Ethernet
	"ether host 02:00:00:00:00:01", "ether src 02:00:00:00:00:01", "ether dst ff:ff:ff:ff:ff:ff",
	"ether broadcast", "ether multicast", "broadcast", "multicast", "not ether broadcast and ether multicast",
	"ether src host 02-00-00-00-00-02", "ether dst 0200.0000.0001",
	// ports
	"port 80", "tcp port 80", "udp port 53", "sctp port 9", "src port 1024", "dst port 22",
	"tcp dst port 443", "port 80 or 443", "tcp port (80 or 443 or 8080)", "udp src or dst port 53",
	"tcp src and dst port 7", "not port 22", "portrange 1-1023", "tcp portrange 8000-8080",
	"udp dst portrange 33434-33534", "src portrange 1024-65535", "portrange 80", "port 0",
	"tcp port 80 and host 198.51.100.2", "port 53 and not tcp",
	// lengths
	"less 64", "greater 1000", "len > 100", "len <= 60", "len = 42", "length >= 1500",
	"less 100 and greater 60",
	// byte expressions
	"tcp[13] & 2 != 0", "tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn",
	"tcp[tcpflags] = tcp-fin", "tcp[tcpflags] & tcp-rst != 0", "tcp[tcpflags] & tcp-push != 0",
	"tcp[tcpflags] & tcp-urg != 0", "tcp[tcpflags] & tcp-ece != 0", "tcp[tcpflags] & tcp-cwr != 0",
	"tcp[tcpflags] & (tcp-fin|tcp-syn|tcp-rst|tcp-push|tcp-ack|tcp-urg|tcp-ece|tcp-cwr) = 0xff",
	"tcp[13] = 0x12", "tcp[12] >> 4 > 5", "tcp[12:2] & 0xf000 = 0x5000",
	"icmp[icmptype] = icmp-echo", "icmp[icmptype] == icmp-echoreply", "icmp[0] = icmp-unreach",
	"icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply", "icmp[icmpcode] = 3",
	"icmp[0] = icmp-timxceed or icmp[0] = icmp-paramprob or icmp[0] = icmp-redirect",
	"icmp[0] = icmp-tstamp or icmp[0] = icmp-maskreq or icmp[0] = icmp-routersolicit",
	"icmp6[icmp6type] = icmp6-echo", "icmp6[0] = icmp6-neighborsolicit", "icmp6[icmp6type] = icmp6-routeradvert",
	"icmp6[0] > 127", "icmp6[icmp6code] = 0 and icmp6[0] = icmp6-echoreply",
	"ip[0] & 0xf > 5", "ip[0] & 0xf != 5", "ip[6:2] & 0x1fff != 0", "ip[6] & 0x20 = 0x20",
	"ip[8] < 5", "ip[8] <= 1", "ip[9] >= 17", "ip[1] & 0xfc = 0xb8", "ip[2:2] > 1400",
	"ip[16:4] = 0xcb007102", "ip[12:4] & 0xffffff00 = 0xc6336400",
	"ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2) > 0",
	"ip6[6] = 58", "ip6[40] = 128", "ip6[4:2] > 100", "ip6[0] & 0xf0 = 0x60",
	"udp[0:2] = 53 or udp[2:2] = 53", "udp[4:2] > 100", "udp[8] = 0x12",
	"igmp[0] = 0x22", "igmp[0] = 0x16 or igmp[0] = 0x11", "arp[6:2] = 1", "arp[7] = 2", "rarp[7] = 3",
	"ether[0] & 1 != 0", "ether[12:2] = 0x8100", "ether[0:4] = 0xffffffff", "link[6:2] = 0x0200",
	"tcp[0:2] + tcp[2:2] > 1000", "tcp[0:2] - tcp[2:2] < 10", "tcp[4:4] * 2 > 100", "tcp[4:4] / 3 = 1",
	"udp[4:2] % 7 = 1", "ip[2:2] ^ 0xff = 0", "ip[0] | 0x0f = 0x4f", "ip[6] << 2 > 100", "-ip[8] = 0xffffffc0",
	"ip[ip[0] & 0xf] = 0", "tcp[tcp[12] >> 4] = 0", "ip[0] % 5 + 1 = 2", "2 * ip[8] > 100",
	"len - 14 > ip[2:2]", "1 + tcp[0] = 5", "tcp[0] + udp[0] = 0", "udp[0] * 2 > tcp[1]",
	"10 > ip[8]", "100 >= len", "5 = ip[0] & 0xf", "ip[8] != ip[9]", "ip[8] > ip[9] + 40",
	"ip[8] ^ 1 ^ 2 = 0", "ip[8] % 5 % 3 = 1", "- - ip[8] = 64", "ip[8] * 2 % 7 = 1",
	"ip[0] & 0xf = 5 and ip[6:2] & 0x3fff = 0",
	// multicast and broadcast at the IP layer
	"ip multicast", "ip6 multicast", "ip broadcast", "not ip multicast and not ip6 multicast",
	// VLAN
	"vlan", "vlan 10", "vlan and ip", "vlan 10 and tcp port 80", "vlan and vlan", "vlan 10 or vlan 20",
	"not vlan", "vlan and host 198.51.100.2", "ip or vlan and ip", "vlan and icmp[0] = 8",
	// combinations and inheritance
	"host 198.51.100.2 and (port 80 or port 443)", "(tcp or udp) and not port 22",
	"tcp and (tcp[13] & 2 != 0) and not src net 198.51.100.0/24", "ip and not (icmp or igmp)",
	"port 80 or 443 and host 198.51.100.2", "host 198.51.100.2 and not 203.0.113.2",
	"host 198.51.100.2 and (203.0.113.2 or 192.0.2.1)", "not (port 80 or port 443)",
	"tcp port 80 && ! host 198.51.100.2 || icmp", "udp and (port 53 or port 67 or port 68)",
	"arp or (ip and icmp)", "((ip))", "ip and ((tcp))", "host 198.51.100.2 and (tcp) or 203.0.113.2",
	"tcp[13] & 0x12 = 0x12 and port 80 or udp", "ether multicast and not broadcast and ip6",
	"icmp6 and icmp6[0] = 135 or arp", "not tcp and not udp and not icmp",
}
