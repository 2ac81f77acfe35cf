//go:build ignore

// Make writes the hostile capture files of pcaps/malformed, byte by byte,
// so that each one is damaged in exactly one documented way (see
// pcaps/README.md). The packets in them are real ones, taken from
// pcaps/icmp.pcap and friends, or built here field by field.
//
// Usage: go run ./pcaps/malformed/make.go
package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rawsock/rawsock/internal/csum"
)

var le = binary.LittleEndian

// pcapHeader is a little-endian microsecond pcap header.
func pcapHeader(snaplen, link uint32) []byte {
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, snaplen)
	return le.AppendUint32(b, link)
}

func record(sec uint32, data []byte) []byte {
	return recordLen(sec, uint32(len(data)), uint32(len(data)), data)
}

func recordLen(sec, caplen, length uint32, data []byte) []byte {
	b := le.AppendUint32(nil, sec)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, caplen)
	b = le.AppendUint32(b, length)
	return append(b, data...)
}

func hexBytes(s string) []byte {
	var b []byte
	var hi byte
	half := false
	for _, c := range s {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = byte(c - '0')
		case c >= 'a' && c <= 'f':
			v = byte(c-'a') + 10
		default:
			continue
		}
		if half {
			b = append(b, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	return b
}

var be = binary.BigEndian

// frame is an Ethernet frame carrying an IPv4 packet from src to dst;
// opts are IP options (a multiple of 4 bytes). The total length and the
// header checksum come out right unless ihl overrides the header length.
func frame(dstMAC string, proto byte, src, dst string, opts, payload []byte, ihl int) []byte {
	h := hexBytes("4500000000014000" + "4000" + "0000" + src + dst)
	h[8] = 64
	h[9] = proto
	if proto == 2 {
		h[1], h[6], h[8] = 0xc0, 0, 1
	}
	h = append(h, opts...)
	if ihl == 0 {
		ihl = len(h) / 4
	}
	h[0] = 0x40 | byte(ihl)
	be.PutUint16(h[2:], uint16(len(h)+len(payload)))
	be.PutUint16(h[10:], csum.Checksum(h))
	f := hexBytes(dstMAC + "020000000001" + "0800")
	f = append(f, h...)
	return append(f, payload...)
}

// Addresses in hex.
const (
	client = "c6336401" // 198.51.100.1
	server = "c6336402" // 198.51.100.2
	macB   = "020000000002"
)

// fixICMP and fixIGMP set a message's checksum.
func fixSum(m []byte) []byte {
	be.PutUint16(m[2:], 0)
	be.PutUint16(m[2:], csum.Checksum(m))
	return m
}

// udp is a UDP datagram (checksum left 0: "no checksum").
func udp(sport, dport uint16, payload []byte) []byte {
	b := be.AppendUint16(nil, sport)
	b = be.AppendUint16(b, dport)
	b = be.AppendUint16(b, uint16(8+len(payload)))
	b = be.AppendUint16(b, 0)
	return append(b, payload...)
}

var (
	ping = frame(macB, 1, client, server, nil, fixSum(hexBytes("0800000000010001")), 0)
	pong = frame(macB, 1, server, client, nil, fixSum(hexBytes("0000000000010001")), 0)
	// IPv4 whose header length field says 4 words (16 bytes): less than
	// the 20 bytes of a header without options.
	ihl4 = frame(macB, 1, client, server, nil, fixSum(hexBytes("0800000000010002")), 4)
	// TCP SYNs whose data offset points past the end of the 20-byte
	// segment: 60 bytes (15 words), and 24 bytes (6 words).
	tcpFar  = frame(macB, 6, client, server, nil, hexBytes("9c401e610000000100000000f002200000000000"), 0)
	tcpNear = frame(macB, 6, client, server, nil, hexBytes("9c401e6100000001000000006002200000000000"), 0)
	// An IGMPv3 query for 239.1.1.1 claiming 1000 sources in 12 bytes,
	// and a report whose one group record claims 500 sources.
	ra          = hexBytes("94040000")
	igmpSources = frame("01005e010101", 2, client, "ef010101", ra, fixSum(hexBytes("110a0000ef010101027d03e8")), 0)
	igmpRecord  = frame("01005e000016", 2, client, "e0000016", ra, fixSum(hexBytes("22000000000000010400 01f4ef010101")), 0)
	// DNS answers with compression pointers that loop: one that points at
	// itself, and two that point at each other.
	dnsSelf = frame(macB, 17, server, client, nil, udp(53, 54321, hexBytes(
		"123481800001000100000000"+"016100"+"00010001"+ // question "a." A IN
			"c01d"+"000100010000003c0004c0000201")), 0) // answer: name at offset 29 = itself
	dnsLoop = frame(macB, 17, server, client, nil, udp(53, 54321, hexBytes(
		"123481800001000100000000"+"01610000010001"+ // question "a." A IN, ends at offset 19
			"c015"+"c013"+"00010000003c0000")), 0) // answer name at 19 -> 21 -> 19 -> ...
)

func write(name string, parts ...[]byte) {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	if err := os.WriteFile(filepath.Join("pcaps", "malformed", name), b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%-28s %4d bytes\n", name, len(b))
}

func main() {
	hdr := pcapHeader(262144, 1)
	good := [][]byte{record(1, ping), record(2, pong)}

	write("bad-magic.pcap", []byte("GIF89a, not a capture at all"))
	write("truncated-header.pcap", hdr[:10])
	write("truncated-record-header.pcap", hdr, good[0], good[1], record(3, ping)[:7])
	write("truncated-record.pcap", hdr, good[0], good[1], recordLen(3, 100, 100, ping))
	write("caplen-over-snaplen.pcap", pcapHeader(64, 1), good[0], good[1], recordLen(3, 1500, 1500, ping))
	write("caplen-zero.pcap", hdr, good[0], good[1], recordLen(3, 0, 60, nil), good[0])
	write("caplen-2g.pcap", hdr, good[0], good[1], recordLen(3, 1<<31, 1<<31, ping))

	// pcapng: a section header, an interface, two packets, then damage.
	shb := block(0x0a0d0d0a, append(le.AppendUint32(nil, 0x1a2b3c4d), 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	idb := block(1, []byte{1, 0, 0, 0, 0, 0, 4, 0})
	ng := [][]byte{shb, idb, epb(1, ping), epb(2, pong)}
	lying := epb(3, ping)
	le.PutUint32(lying[len(lying)-4:], uint32(len(lying)+8)) // trailer disagrees
	write("pcapng-length-lies.pcapng", ng[0], ng[1], ng[2], ng[3], lying, epb(4, ping))
	small := epb(3, ping)
	le.PutUint32(small[4:], 40) // the leading length cannot hold the packet it carries
	le.PutUint32(small[len(small)-4:], 40)
	write("pcapng-length-short.pcapng", ng[0], ng[1], ng[2], ng[3], small)
	huge := epb(3, ping)
	le.PutUint32(huge[4:], 0x7ffffff0)
	write("pcapng-length-huge.pcapng", ng[0], ng[1], ng[2], ng[3], huge)

	// Damage inside packets: the file is sound.
	write("ipv4-ihl-under-5.pcap", hdr, good[0], record(2, ihl4), good[1])
	write("tcp-offset-past-end.pcap", hdr, good[0], record(2, tcpFar), record(3, tcpNear), good[1])
	write("igmpv3-source-count.pcap", hdr, good[0], record(2, igmpSources), record(3, igmpRecord), good[1])
	write("dns-compression-loop.pcap", hdr, good[0], record(2, dnsSelf), record(3, dnsLoop), good[1])
}

func block(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := le.AppendUint32(nil, typ)
	b = le.AppendUint32(b, n)
	b = append(b, body...)
	return le.AppendUint32(b, n)
}

// epb is an enhanced packet block on interface 0, timestamp in microseconds.
func epb(sec uint32, data []byte) []byte {
	ts := uint64(sec) * 1e6
	body := le.AppendUint32(nil, 0)
	body = le.AppendUint32(body, uint32(ts>>32))
	body = le.AppendUint32(body, uint32(ts))
	body = le.AppendUint32(body, uint32(len(data)))
	body = le.AppendUint32(body, uint32(len(data)))
	body = append(body, data...)
	return block(6, body)
}
