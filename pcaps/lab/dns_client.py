# Sends the fixture lab's DNS queries to SERVER:53 and waits for each answer.
import socket
import sys

from scapy.layers.dns import DNS, DNSQR

QUERIES = [
    ("www.example.com", "A"),
    ("www.example.com", "AAAA"),
    ("alias.example.com", "A"),
    ("example.com", "MX"),
    ("example.com", "TXT"),
    ("example.com", "NS"),
    ("80.2.0.192.in-addr.arpa", "PTR"),
    ("_sip._udp.example.com", "SRV"),
    ("nothere.example.com", "A"),
]


def main():
    addr = sys.argv[1]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(5)
    for i, (name, qtype) in enumerate(QUERIES):
        q = DNS(id=0x1000 + i, rd=1, qd=DNSQR(qname=name, qtype=qtype))
        s.sendto(bytes(q), (addr, 53))
        s.recvfrom(2048)


main()
