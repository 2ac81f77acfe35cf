# Writes capture files of unusual but well-formed (and some truncated)
# packets for the differential printer test: the test prints each file
# with rawsock and with tcpdump and compares. Nothing is sent anywhere:
# scapy only builds the bytes, wrpcap writes them.
#
# Usage: python3 crafted.py DIR
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, DNS, DNSQR, DNSRR, DNSRROPT, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPOption_LSRR,
                       IPOption_RR, IPOption_Router_Alert, IPOption_Security, IPOption_SSRR, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, wrpcap)
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6MLDone,
                                ICMPv6MLQuery, ICMPv6MLReport, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA,
                                ICMPv6ND_Redirect, ICMPv6ND_RS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU,
                                ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, ICMPv6PacketTooBig, ICMPv6ParamProblem,
                                ICMPv6TimeExceeded, ICMPv6MLQuery2, ICMPv6MLReport2, ICMPv6MLDMultAddrRec)
from scapy.layers.inet6 import HBHOptUnknown, Jumbo
from scapy.contrib.igmp import IGMP
from scapy.contrib.igmpv3 import IGMPv3, IGMPv3gr, IGMPv3mq, IGMPv3mr

out = sys.argv[1]
A, B = "192.0.2.1", "192.0.2.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
inner = IP(src=B, dst=A, id=7, ttl=3) / UDP(sport=1234, dport=33434) / b"12345678"
inner_tcp = IP(src=B, dst=A, id=7) / TCP(sport=1234, dport=80, flags="S")

icmp = []
for t, c in [(3, 0), (3, 1), (3, 2), (3, 3), (3, 4), (3, 5), (3, 6), (3, 7), (3, 9), (3, 10), (3, 13), (3, 14),
             (3, 15), (3, 99), (4, 0), (5, 0), (5, 1), (5, 2), (5, 3), (5, 9), (11, 0), (11, 1), (11, 5),
             (12, 0), (12, 1)]:
    icmp.append(E / IP(src=A, dst=B) / ICMP(type=t, code=c, gw="192.0.2.254", ptr=20, nexthopmtu=1400) / inner)
icmp.append(E / IP(src=A, dst=B) / ICMP(type=3, code=3) / inner_tcp)
icmp.append(E / IP(src=A, dst=B) / ICMP(type=3, code=3) / (IP(src=B, dst=A, proto=253) / b"\x04\xd2\x00\x50abcd"))
for t in (8, 0, 10, 13, 14, 15, 16, 17, 18, 42, 255):
    icmp.append(E / IP(src=A, dst=B) / ICMP(type=t, id=0x1234, seq=9, ts_ori=1000, ts_rx=3723004, ts_tx=86399999, addr_mask="255.255.255.0") / b"payload!" * (t in (8, 0)))
icmp.append(E / IP(src=A, dst=B) / ICMP(type=9) / b"\x02\x02\x07\x08\xc0\x00\x02\x01\x00\x00\x00\x05\xc0\x00\x02\x02\x00\x00\x00\x06")
icmp.append(E / IP(src=A, dst=B) / ICMP(type=8, chksum=0x1234))
wrpcap(f"{out}/icmp.pcap", icmp)

tcp = []
for flags in ["", "F", "S", "R", "P", "A", "U", "E", "C", "FA", "SA", "RA", "PA", "FPU", "SEC", "FSRPAUEC"]:
    tcp.append(E / IP(src=A, dst=B) / TCP(sport=40000, dport=7777, seq=1000, ack=2000, flags=flags, urgptr=3) / (b"data" if "P" in flags else b""))
opts = [
    [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 2)), ("NOP", None), ("WScale", 7)],
    [("NOP", None), ("NOP", None), ("SAck", (1100, 1200, 1300, 1400))],
    [("MSS", 536), ("EOL", None)],
    [("UTO", 0x8005)], [("UTO", 0x0020)],
    [(19, b"0123456789abcdef")],
    [(34, b"\x01\x02\x03\x04")],
    [(99, b"\xaa\xbb")],
    [(2, b"\x05")],
    [("SAck", (1, 2, 3))],
    [(8, b"\x00" * 38)],
    [(34, b"")],
]
for o in opts:
    tcp.append(E / IP(src=B, dst=A) / TCP(sport=7777, dport=40000, seq=5000, ack=1001, flags="A", options=o))
tcp.append(E / IP(src=B, dst=A) / TCP(sport=7777, dport=40000, seq=5000, ack=1001, flags="A", dataofs=15) / (b"\x01" * 40))
tcp.append(E / IP(src=B, dst=A) / TCP(sport=7777, dport=40000, flags="A", dataofs=3))
tcp.append(E / IP(src=A, dst=B) / TCP(sport=5555, dport=5555, seq=1, ack=1, flags="A"))
tcp.append(E / IP(src=B, dst=A) / TCP(sport=5555, dport=5555, seq=1, ack=1, flags="PA") / b"xyz")
tcp.append(E / IPv6(src=A6, dst=B6) / TCP(sport=1, dport=2, flags="S", options=[("MSS", 1440)]))
tcp.append(E / IP(src=A, dst=B, flags="MF") / TCP(sport=40000, dport=7777, flags="S"))
wrpcap(f"{out}/tcp.pcap", tcp)

ip = []
for o in [[IPOption_RR(routers=["192.0.2.9"], pointer=8)], [IPOption_LSRR(routers=["192.0.2.9", "192.0.2.10"])],
          [IPOption_SSRR(routers=["192.0.2.9"])], [IPOption_Router_Alert()], [IPOption_Security()],
          [b"\x44\x0c\x05\x01\x00\x00\x00\x01\x00\x00\x00\x02"], [b"\x44\x0c\x0d\x03\xc0\x00\x02\x01\x00\x00\x00\x01"],
          [b"\x99\x04\x00\x00"], [b"\x01\x01\x01\x00"]]:
    ip.append(E / IP(src=A, dst=B, options=o) / ICMP())
for tos in (0, 1, 2, 3, 0xb8):
    ip.append(E / IP(src=A, dst=B, tos=tos, ttl=0) / UDP(sport=1, dport=2))
ip.append(E / IP(src=A, dst=B, flags="evil+DF") / UDP(sport=1, dport=2))
ip.append(E / IP(src=A, dst=B, chksum=0x1234) / UDP(sport=1, dport=2))
ip.append(E / IP(src=A, dst=B) / UDP(sport=1, dport=2, chksum=0))
ip.append(E / IP(src=A, dst=B) / UDP(sport=1, dport=2, len=4))
ip.append(E / IP(src=A, dst=B) / UDP(sport=1, dport=2, len=100) / b"short")
ip.append(E / IP(src=A, dst=B, proto=4) / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP())
ip.append(E / IP(src=A, dst=B) / IPv6(src=A6, dst=B6) / ICMPv6EchoRequest())
ip.append(E / IP(src=A, dst=B, frag=100, proto=6) / b"x" * 16)
ip.append(E / IPv6(src=A6, dst=B6, nh=59))
ip.append(E / IPv6(src=A6, dst=B6, tc=0xb8, fl=0x12345) / UDP(sport=3, dport=4) / b"v6")
ip.append(E / IPv6(src=A6, dst=B6) / IPv6ExtHdrRouting(addresses=["2001:db8::9", "2001:db8::a"], segleft=2) / UDP(sport=3, dport=4))
ip.append(E / IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=0x1234, offset=0, m=1) / UDP(sport=3, dport=4) / b"frag")
ip.append(E / IPv6(src=A6, dst=B6) / IPv6ExtHdrDestOpt(options=[Jumbo(jumboplen=65536), HBHOptUnknown(otype=0x77, optdata=b"\xaa\xbb")]) / IPv6ExtHdrFragment(offset=10) / b"rest")
ip.append(E / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() / TCP(sport=80, dport=81, flags="S"))
ip.append(Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, psrc=A, pdst=B, hwdst="02:00:00:00:00:09"))
for op in (3, 4, 8, 9, 10, 77):
    ip.append(Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") / ARP(op=op, psrc=A, pdst=B, hwdst="02:00:00:00:00:09"))
# ARP for another protocol, as raw bytes (scapy would resolve the addresses).
ip.append(Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff", type=0x0806) / Raw(load=bytes.fromhex("0001 86dd 0604 0001 020000000001 c0000201 000000000000 c0000202".replace(" ", ""))))
ip.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Dot1Q(vlan=5, prio=3, id=1) / ARP(psrc=A, pdst=B))
wrpcap(f"{out}/ip.pcap", ip)

v6 = []
L = "fe80::1"
v6 += [E / IPv6(src=L, dst="ff02::1", hlim=255) / ICMPv6ND_RA(M=1, O=1, H=1, prf=3, routerlifetime=0, reachabletime=30000, retranstimer=1000) / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01") / ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=48, L=0, A=0, validlifetime=0xffffffff, preferredlifetime=0xffffffff)]
v6 += [E / IPv6(src=L, dst="ff02::2", hlim=255) / ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")]
v6 += [E / IPv6(src=L, dst=B6, hlim=255) / ICMPv6ND_NA(R=0, S=0, O=0, tgt=B6) / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:01") / ICMPv6NDOptMTU(mtu=9000)]
v6 += [E / IPv6(src=L, dst=B6, hlim=255) / ICMPv6ND_Redirect(tgt="fe80::9", dst="2001:db8::99")]
v6 += [E / IPv6(src=L, dst="ff02::1") / ICMPv6MLQuery(mladdr="::")]
v6 += [E / IPv6(src=L, dst="ff02::1") / ICMPv6MLReport(mladdr="ff02::fb")]
v6 += [E / IPv6(src=L, dst="ff02::2") / ICMPv6MLDone(mladdr="ff02::fb")]
v6 += [E / IPv6(src=L, dst="ff02::1") / ICMPv6MLQuery2(mladdr="ff02::fb", sources=["2001:db8::5", "2001:db8::6"], S=1, QRV=2, QQIC=125, mrd=10000)]
v6 += [E / IPv6(src=L, dst="ff02::16") / ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(rtype=1, dst="ff02::fb", sources=["2001:db8::5"]), ICMPv6MLDMultAddrRec(rtype=6, dst="ff05::2")])]
for t, c in [(1, 0), (1, 1), (1, 2), (1, 3), (1, 5)]:
    v6 += [E / IPv6(src=A6, dst=B6) / ICMPv6DestUnreach(code=c) / IPv6(src=B6, dst="2001:db8::7") / UDP(sport=5, dport=53)]
v6 += [E / IPv6(src=A6, dst=B6) / ICMPv6DestUnreach(code=4) / IPv6(src=B6, dst="2001:db8::7") / TCP(sport=5, dport=22)]
v6 += [E / IPv6(src=A6, dst=B6) / ICMPv6PacketTooBig(mtu=1280) / IPv6(src=B6, dst=A6) / UDP()]
v6 += [E / IPv6(src=A6, dst=B6) / ICMPv6TimeExceeded(code=1) / IPv6(src=B6, dst=A6) / UDP()]
v6 += [E / IPv6(src=A6, dst=B6) / ICMPv6ParamProblem(code=c, ptr=40) / IPv6(src=B6, dst=A6) / UDP() for c in (0, 2, 7)]
v6 += [E / IPv6(src=A6, dst=B6) / ICMPv6EchoReply(id=1, seq=2, cksum=0x1111)]
v6 += [E / IPv6(src=A6, dst=B6) / Raw(load=bytes([250, 0, 0, 0]) + b"unknown type")]
wrpcap(f"{out}/icmp6.pcap", v6)

igmp = []
G = "239.1.2.3"
M = Ether(src="02:00:00:00:00:01", dst="01:00:5e:01:02:03")
igmp += [M / IP(src=A, dst=G) / IGMP(type=t, mrcode=m, gaddr=g) for t, m, g in
         [(0x11, 0, "0.0.0.0"), (0x11, 100, "0.0.0.0"), (0x11, 50, G), (0x12, 0, G), (0x16, 0, G), (0x17, 0, G), (0x42, 0, G)]]
igmp += [M / IP(src=A, dst="224.0.0.1") / IGMPv3(type=0x11, mrcode=m) / IGMPv3mq(gaddr=g, srcaddrs=s) for m, g, s in
         [(100, "0.0.0.0", []), (200, G, ["192.0.2.7"]), (10, G, ["192.0.2.7", "192.0.2.8", "192.0.2.9"])]]
igmp += [M / IP(src=A, dst="224.0.0.22") / IGMPv3(type=0x22) / IGMPv3mr(records=[IGMPv3gr(rtype=r, maddr=G, srcaddrs=["192.0.2.7"] * n) for r, n in [(1, 1), (2, 0), (3, 2), (4, 0), (5, 1), (6, 1), (9, 0)]])]
igmp += [M / IP(src=A, dst=G) / IGMP(type=0x16, gaddr=G, chksum=0x4242)]
wrpcap(f"{out}/igmp.pcap", igmp)

dns = []
U = E / IP(src=A, dst=B) / UDP(sport=5353 + 1, dport=53)
R = E / IP(src=B, dst=A) / UDP(sport=53, dport=5354)
dns.append(U / DNS(id=1, rd=0, qd=DNSQR(qname="example.com", qtype="ANY", qclass="CH")))
dns.append(U / DNS(id=2, rd=1, cd=1, qd=DNSQR(qname="example.com", qtype=65), ar=DNSRROPT(rclass=1232)))
dns.append(U / DNS(id=3, opcode=2, qd=DNSQR(qname=".", qtype="NS")))
dns.append(U / DNS(id=4, opcode=5, qd=None, an=DNSRR(rrname="x.example.com", rdata="192.0.2.5")))
dns.append(U / DNS(id=5, qd=[DNSQR(qname="a.example"), DNSQR(qname="b.example", qtype="MX")]))
dns.append(R / DNS(id=6, qr=1, ra=0, tc=1, rcode=2, qd=DNSQR(qname="example.com")))
dns.append(R / DNS(id=7, qr=1, aa=1, ra=1, rcode=5, qd=DNSQR(qname="x.example"), an=DNSRR(rrname="x.example", type="A", rclass=3, rdata="192.0.2.1")))
dns.append(R / DNS(id=8, qr=1, ra=1, qd=DNSQR(qname="x.example", qtype="TXT"), an=DNSRR(rrname="x.example", type="TXT", rdata=[b"tab\there", b"\xff\x01"])))
dns.append(R / DNS(id=9, qr=1, ra=1, qd=DNSQR(qname="x.example", qtype=99), an=DNSRR(rrname="x.example", type=99, rdata=b"\x00\x01")))
dns.append(R / DNS(id=10, qr=1, ra=1, qd=DNSQR(qname="x.example", qtype="DNAME"), an=DNSRR(rrname="x.example", type="DNAME", rdata="y.example"), ar=DNSRROPT(rclass=4096, z=0x8000)))
dns.append(R / Raw(load=bytes.fromhex("000b8180000100010000000003777777076578616d706c6500000100 01c00c000100010000003c0004c0000201".replace(" ", ""))))
dns.append(U / Raw(load=bytes.fromhex("000c0100")))
wrpcap(f"{out}/dns.pcap", dns)

# The same packets cut short by a small snapshot length.
short = []
for p in icmp[:3] + tcp[:2] + tcp[16:18] + ip[:3] + v6[:4] + igmp[:3] + dns[:3] + dns[6:8]:
    for n in (14, 20, 30, 40, 54, 60, 70):
        b = bytes(p)
        if n < len(b):
            short.append((b[:n], len(b)))
import struct
with open(f"{out}/short.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    for i, (b, n) in enumerate(short):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(b), n))
        f.write(b)

# Linux cooked frames (v1 and v2) carrying 802.1Q tags, as libpcap writes
# them when it puts back the tag the kernel took off: one tag (with the
# drop-eligible bit), two, a QinQ type tcpdump does not walk into, an
# unknown type bare and inside a tag, and a tag cut short.
udp = IP(src=A, dst=B) / UDP(sport=1234, dport=5678) / b"tagged"
cooked = [
    (0x8100, bytes(Dot1Q(vlan=5, prio=3, id=1) / udp)),
    (0x8100, bytes(Dot1Q(vlan=7, type=0x8100) / Dot1Q(vlan=9) / udp)),
    (0x8100, bytes(Dot1Q(vlan=200) / IPv6(src=A6, dst=B6) / UDP(sport=1234, dport=5678) / b"v6")),
    (0x8100, bytes(Dot1Q(vlan=100) / ARP(psrc=A, hwsrc="02:00:00:00:00:01", pdst=B))),
    (0x88a8, bytes(Dot1Q(vlan=300, type=0x8100) / Dot1Q(vlan=9) / udp)),
    (0x88b5, b"an unknown type"),
    (0x8100, bytes(Dot1Q(vlan=7, type=0x88b5)) + b"unknown inside a tag"),
    (0x8100, b"\x00\x07"),
]
mac = b"\x02\x00\x00\x00\x00\x01\x00\x00"
for name, link, header in (
        ("sll", 113, lambda proto: struct.pack("!HHH8sH", 0, 1, 6, mac, proto)),
        ("sll2", 276, lambda proto: struct.pack("!HHIHBB8s", proto, 0, 1, 1, 0, 6, mac))):
    with open(f"{out}/vlan-{name}.pcap", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, link))
        for i, (proto, rest) in enumerate(cooked):
            b = header(proto) + rest
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(b), len(b)))
            f.write(b)
