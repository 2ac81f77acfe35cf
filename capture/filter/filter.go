// Package filter compiles tcpdump filter expressions ("tcp port 80 and
// host 192.0.2.1") to classic BPF programs in pure Go, with no libpcap, and
// runs them over packets.
//
// The same expression over the same packets selects exactly the packets
// tcpdump selects: the compiler follows libpcap's grammar and generates the
// same tests in the same order (with Options.NoOptimize, the very program
// "tcpdump -O -d" prints), then removes the tests whose outcome is already
// known, as tcpdump's optimizer does. Anything outside the documented
// grammar (docs/filters.md) is an *Error that names the token and its
// column, never a program that silently means something else. Names are
// never looked up: a host must be written as an address, a port as a
// number.
//
// Programs are valid for the kernel (SO_ATTACH_FILTER): at most 4096
// instructions, forward jumps in range, scratch memory written before it is
// read, and they return either the snapshot length or 0. Check verifies
// that of any program. A Matcher runs a program over packet bytes in user
// space, without allocating, for filtering files.
//
// Dump prints a program the way tcpdump's -d, -dd and -ddd do, and Compile
// also accepts a program in the -ddd form back.
package filter

import (
	"fmt"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// DefaultSnaplen is the value a program returns for an accepted packet when
// Compile is given no snapshot length: tcpdump's default, 262144.
const DefaultSnaplen = 262144

// MaxInstructions is the most instructions the kernel accepts in a classic
// BPF program (BPF_MAXINSNS).
const MaxInstructions = 4096

// Options adjust compilation. The zero value compiles like "tcpdump -r".
type Options struct {
	// Netmask is the IPv4 netmask that "ip broadcast" uses to recognize a
	// broadcast address, as a big-endian number (0xffffff00 for /24). Zero,
	// as tcpdump uses when it reads a file, makes only 0.0.0.0 and
	// 255.255.255.255 broadcasts; 0xffffffff means unknown and makes
	// "ip broadcast" an error, as in tcpdump.
	Netmask uint32
	// NoOptimize skips the optimizer, like tcpdump's -O: the program is
	// then exactly the one "tcpdump -O -d" prints.
	NoOptimize bool
}

// Compile compiles a tcpdump filter expression for packets of the given
// link type; accepted packets make the program return snaplen (0 or less
// means DefaultSnaplen), rejected ones 0. An empty expression accepts every
// packet. src may also be a program printed by "tcpdump -ddd" (a count,
// then one "code jt jf k" line per instruction; commas may separate the
// lines), which is parsed and checked instead.
//
// Supported link types: Ethernet (1), Linux cooked v1 (113) and v2 (276),
// raw IP (101, and 12 and 14 as found in files), raw IPv4 (228) and IPv6
// (229), BSD loopback (0, with the address family little-endian as written
// by little-endian hosts) and OpenBSD loopback (108).
//
// The program is a slice of bpf.RawInstruction, the form the kernel takes
// (sockets.Socket.AttachFilter) and tcpdump prints, down to the fields an
// instruction ignores; Disassemble gives x/net/bpf's typed instructions.
func Compile(src string, link layers.LinkType, snaplen int) ([]bpf.RawInstruction, error) {
	return CompileOptions(src, link, snaplen, nil)
}

// CompileOptions is Compile with options; nil means the zero Options.
func CompileOptions(src string, link layers.LinkType, snaplen int, opts *Options) ([]bpf.RawInstruction, error) {
	if looksDecimal(src) {
		return parseDecimal(src)
	}
	if opts == nil {
		opts = &Options{}
	}
	if snaplen <= 0 {
		snaplen = DefaultSnaplen
	}
	c, err := newCompiler(link, uint32(snaplen), opts)
	if err != nil {
		return nil, err
	}
	toks, err := scan(src)
	if err != nil {
		return nil, err
	}
	var root *block
	if toks[0].kind == tEOF {
		root = retBlock(c.snaplen)
	} else {
		tree, err := parse(toks)
		if err != nil {
			return nil, err
		}
		e, err := c.gen(tree)
		if err != nil {
			return nil, err
		}
		root = c.finish(e)
		if !opts.NoOptimize {
			if root, err = optimize(root); err != nil {
				return nil, err
			}
		}
	}
	prog, err := emit(root)
	if err != nil {
		return nil, err
	}
	if err := Check(prog); err != nil {
		// A program the compiler made must always pass: this is a bug.
		return nil, fmt.Errorf("filter: internal error: compiled program is invalid: %w", err)
	}
	return prog, nil
}

// An Error is an expression that does not compile: what was wrong and, when
// it is about one place, the 1-based column and the text of the token
// there (empty at the end of the expression).
type Error struct {
	Column int
	Token  string
	Msg    string
}

// Error returns the error as one line: "column 7, "foo": what was wrong".
func (e *Error) Error() string {
	switch {
	case e.Column == 0:
		return e.Msg
	case e.Token == "":
		return fmt.Sprintf("column %d (end of the expression): %s", e.Column, e.Msg)
	}
	return fmt.Sprintf("column %d, %q: %s", e.Column, e.Token, e.Msg)
}

func errorAt(col int, tok string, format string, args ...any) *Error {
	return &Error{Column: col, Token: tok, Msg: fmt.Sprintf(format, args...)}
}

func errorf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// errorTok is an error about the token t.
func errorTok(t token, format string, args ...any) *Error {
	return errorAt(t.col, t.text, format, args...)
}

// linkName describes a link type in messages.
func linkName(link layers.LinkType) string {
	switch link {
	case layers.LinkTypeNull:
		return "BSD loopback"
	case layers.LinkTypeEthernet:
		return "Ethernet"
	case layers.LinkTypeRaw, 12, 14:
		return "raw IP"
	case layers.LinkTypeLoop:
		return "OpenBSD loopback"
	case layers.LinkTypeLinuxSLL:
		return "Linux cooked v1"
	case layers.LinkTypeIPv4:
		return "raw IPv4"
	case layers.LinkTypeIPv6:
		return "raw IPv6"
	case layers.LinkTypeLinuxSLL2:
		return "Linux cooked v2"
	}
	return fmt.Sprintf("link type %d", int(link))
}
