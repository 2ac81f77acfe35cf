# A small DNS server for the fixture lab: answers a few fixed names over UDP
# so that the capture holds real queries and answers. Runs inside a lab
# namespace only; stops after COUNT queries or 20 seconds.
import socket
import sys

from scapy.layers.dns import DNS, DNSQR, DNSRR, DNSRRMX, DNSRRSOA, DNSRRSRV

ZONE = {
    ("www.example.com.", 1): [DNSRR(rrname="www.example.com.", type="A", ttl=300, rdata="192.0.2.80")],
    ("www.example.com.", 28): [DNSRR(rrname="www.example.com.", type="AAAA", ttl=300, rdata="2001:db8::80")],
    ("alias.example.com.", 1): [
        DNSRR(rrname="alias.example.com.", type="CNAME", ttl=60, rdata="www.example.com."),
        DNSRR(rrname="www.example.com.", type="A", ttl=300, rdata="192.0.2.80"),
    ],
    ("example.com.", 15): [
        DNSRRMX(rrname="example.com.", type="MX", ttl=3600, preference=10, exchange="mail.example.com."),
        DNSRRMX(rrname="example.com.", type="MX", ttl=3600, preference=20, exchange="mail2.example.com."),
    ],
    ("example.com.", 16): [DNSRR(rrname="example.com.", type="TXT", ttl=60, rdata=[b"v=spf1 -all", b"hello"])],
    ("example.com.", 2): [
        DNSRR(rrname="example.com.", type="NS", ttl=3600, rdata="ns1.example.com."),
        DNSRR(rrname="example.com.", type="NS", ttl=3600, rdata="ns2.example.com."),
    ],
    ("80.2.0.192.in-addr.arpa.", 12): [DNSRR(rrname="80.2.0.192.in-addr.arpa.", type="PTR", ttl=300, rdata="www.example.com.")],
    ("_sip._udp.example.com.", 33): [DNSRRSRV(rrname="_sip._udp.example.com.", ttl=300, priority=1, weight=5, port=5060, target="sip.example.com.")],
}
SOA = DNSRRSOA(rrname="example.com.", ttl=300, mname="ns1.example.com.", rname="admin.example.com.",
               serial=2024010101, refresh=7200, retry=900, expire=1209600, minimum=300)


def main():
    addr, count = sys.argv[1], int(sys.argv[2])
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    s.settimeout(20)
    for _ in range(count):
        data, peer = s.recvfrom(2048)
        q = DNS(data)
        name, qtype = q.qd.qname.decode(), q.qd.qtype
        answers = ZONE.get((name, qtype))
        extra = {}
        if answers:
            extra["an"] = answers[0]
            for rr in answers[1:]:
                extra["an"] = extra["an"] / rr
            if qtype == 15:
                extra["ar"] = DNSRR(rrname="mail.example.com.", type="A", ttl=300, rdata="192.0.2.25")
            rcode = 0
        else:
            extra["ns"] = SOA
            rcode = 3 if name.endswith("example.com.") and not any(n == name for n, _ in ZONE) else 0
        r = DNS(id=q.id, qr=1, aa=1, rd=q.rd, ra=1, rcode=rcode, qd=q.qd, **extra)
        s.sendto(bytes(r), peer)


main()
