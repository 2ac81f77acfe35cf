// Package capture reads, decodes, prints and writes packets: the receiving
// half of rawsock.
//
// # Files
//
// NewReader opens a pcap (microsecond or nanosecond, either byte order) or
// pcapng stream, telling them apart by their magic number rather than by a
// file name. It is built for hostile input: it never panics, never allocates
// by a length read from the file, and reports damage as a *FileError that
// names what was wrong and the byte offset where it was found, after the
// packets before it have been returned.
//
// NewWriter writes pcap or pcapng through a buffer; Flush (or Close) empties
// it, so a program flushes on exit and on SIGINT/SIGTERM. Any package that
// wants to keep packets in a file uses it:
//
//	w, err := capture.NewWriter(f, capture.Pcap, layers.LinkTypeRaw, nil)
//	...
//	err = w.WritePacket(gopacket.CaptureInfo{Timestamp: now, CaptureLength: len(b), Length: len(b)}, b)
//	...
//	err = w.Flush()
//
// RotatingWriter adds tcpdump's -C / -G / -W file rotation on top.
//
// # Live capture
//
// OpenLive captures from an AF_PACKET socket on one interface or all of
// them (Linux cooked frames), or from a raw IPv4 socket of one protocol,
// with the filter (from capture/filter) attached in the kernel before the
// socket is bound; Stats reads the kernel's counters for tcpdump's summary.
// A Live capture and a file Reader are both a Source.
//
// # Decoding and printing
//
// A Decoder decodes a frame of any supported link type with
// gopacket.DecodingLayerParser over layers it allocates once, so decoding
// allocates nothing per packet. A Printer turns the result into tcpdump's
// one-line format (with tcpdump's -n -e -q -v -t… options), a tree of every
// field (-V), or one JSON object per packet (docs/json.md). HexDump and its
// variants print bytes the way tcpdump's -x, -X and -A do, for any command
// that shows raw packets; Printer.Line gives the one-line description of a
// decoded packet without a time.
package capture
