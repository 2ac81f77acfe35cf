package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rawsock/rawsock/capture"
	"github.com/rawsock/rawsock/capture/filter"
	"github.com/rawsock/rawsock/craft"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:     "read",
		synopsis: "read [flags] FILE [EXPRESSION]",
		summary:  "decode a pcap or pcapng file and print it like tcpdump -r",
		help: `Reads FILE (pcap or pcapng, recognized by its contents; - is standard input)
and prints one line per packet in tcpdump's format, or a tree of every field
(-V), or one JSON object per packet (--json). EXPRESSION is a tcpdump filter
(see docs/filters.md): only the packets it matches are printed, or written
to -w OUT.

Without -n, names come only from /etc/hosts, /etc/services and
/etc/protocols: rawsock never asks a DNS server while printing.

A damaged file prints the packets before the damage, then one line saying
what was wrong and at which byte offset, and exits with status 1.

Examples:
  rawsock read -n capture.pcap
  rawsock read -nv capture.pcapng 'icmp or arp'
  rawsock read capture.pcap 'tcp port 22' -w ssh.pcap
  rawsock read --json capture.pcap | jq .
  tcpdump -w - | rawsock read -n -`,
		setup: setupRead,
	})
}

// printFlags are the printing flags read and sniff share, tcpdump's.
type printFlags struct {
	numeric                   bool
	link, quiet, nano, json   bool
	tree, asExpr, pcapng      bool
	verbose, times, hex, hexA int
	ascii                     int
	count                     int
	write, filterFile         string
	dump                      int
	// rotate is set by sniff from -C, -G, -W and -U.
	rotate rotation
}

// rotation is sniff's file rotation and -U.
type rotation struct {
	mb, seconds, files int
	flushEach          bool
	snaplen            int
}

func (f *printFlags) declare(fs *pflag.FlagSet) {
	fs.BoolVarP(&f.numeric, "numeric", "n", false, "print addresses, ports and protocols as numbers")
	fs.BoolVarP(&f.link, "link", "e", false, "print the link-level header")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print less protocol information")
	fs.CountVarP(&f.verbose, "verbose", "v", "print more (-v, -vv, -vvv)")
	fs.CountVarP(&f.times, "time", "t", "-t no time, -tt seconds since 1970, -ttt since the previous packet, -tttt date and time, -ttttt since the first packet")
	fs.CountVarP(&f.hex, "hex", "x", "dump each packet in hex (-xx: with its link header)")
	fs.CountVarP(&f.hexA, "hex-ascii", "X", "dump each packet in hex and ASCII (-XX: with its link header)")
	fs.CountVarP(&f.ascii, "ascii", "A", "print each packet as ASCII")
	fs.BoolVar(&f.nano, "nano", false, "nanosecond times; with -w, a nanosecond pcap file")
	fs.BoolVarP(&f.tree, "tree", "V", false, "print every field of every layer as a tree")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per packet (schema: docs/json.md)")
	fs.BoolVar(&f.asExpr, "as-expr", false, "print each packet as the layer expression that rebuilds it with 'rawsock send'")
	fs.IntVarP(&f.count, "count", "c", 0, "stop after `N` packets")
	fs.StringVarP(&f.write, "write", "w", "", "write the packets to `FILE` instead of printing them (- is standard output)")
	fs.BoolVar(&f.pcapng, "pcapng", false, "with -w, write pcapng (the default for a name ending in .pcapng)")
	fs.StringVarP(&f.filterFile, "filter-file", "F", "", "read the filter expression from `FILE`")
	fs.CountVarP(&f.dump, "dump-filter", "d", "print the compiled filter and exit (-dd as C, -ddd as decimal)")
}

func (f *printFlags) options() *capture.PrintOptions {
	o := &capture.PrintOptions{
		Numeric:    f.numeric,
		LinkHeader: f.link,
		Quiet:      f.quiet,
		Verbose:    f.verbose,
		Time:       capture.TimeFormat(min(f.times, 5)),
		Nano:       f.nano,
	}
	switch {
	case f.hexA > 1:
		o.Hex = capture.HexASCIIFrame
	case f.hexA == 1:
		o.Hex = capture.HexASCIIPayload
	case f.hex > 1:
		o.Hex = capture.HexFrame
	case f.hex == 1:
		o.Hex = capture.HexPayload
	case f.ascii > 1:
		o.Hex = capture.ASCIIFrame
	case f.ascii == 1:
		o.Hex = capture.ASCIIPayload
	}
	return o
}

// expression returns the filter: the arguments joined, as tcpdump does, or
// the contents of -F FILE.
func (f *printFlags) expression(args []string) (string, error) {
	if f.filterFile == "" {
		return strings.Join(args, " "), nil
	}
	if len(args) > 0 {
		return "", usagef("give the filter either as arguments or with -F, not both")
	}
	b, err := os.ReadFile(f.filterFile)
	if err != nil {
		return "", err
	}
	// tcpdump drops comments (#) from a filter file.
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		l, _, _ = strings.Cut(l, "#")
		lines = append(lines, l)
	}
	return strings.TrimSpace(strings.Join(lines, " ")), nil
}

func setupRead(fs *pflag.FlagSet) func(*env, []string) error {
	f := &printFlags{}
	f.declare(fs)
	return func(e *env, args []string) error {
		if len(args) == 0 {
			return usagef("missing FILE: rawsock read FILE [EXPRESSION]")
		}
		expr, err := f.expression(args[1:])
		if err != nil {
			return err
		}
		return readFile(e, f, args[0], expr)
	}
}

func readFile(e *env, f *printFlags, name, expr string) error {
	var in io.Reader
	if name == "-" {
		in = e.stdin
	} else {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		in = file
	}
	r, err := capture.NewReader(in)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	filters := newFilters(expr)
	if f.dump > 0 {
		return dumpFilter(e, filters, r.LinkType(), f.dump)
	}
	fmt.Fprintf(e.stderr, "reading from file %s, link-type %s (%s), snapshot length %d\n",
		name, capture.LinkTypeName(r.LinkType()), capture.LinkTypeDescription(r.LinkType()), r.Snaplen())
	out, err := newOutput(e, f, r.Interfaces())
	if err != nil {
		return err
	}
	defer out.close()
	n := 0
	for f.count == 0 || n < f.count {
		if err := e.ctx.Err(); err != nil {
			break
		}
		data, ci, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if cerr := out.close(); cerr != nil {
				return cerr
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		ifc := r.Interface(ci.InterfaceIndex)
		ok, err := filters.match(ifc.LinkType, data, ci.Length)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		n++
		if err := out.packet(ci, ifc, data); err != nil {
			return err
		}
	}
	return out.close()
}

// filters compiles the expression once per link type met, since a pcapng
// file may mix them.
type filters struct {
	expr     string
	matchers map[layers.LinkType]*filter.Matcher
}

func newFilters(expr string) *filters {
	return &filters{expr: strings.TrimSpace(expr), matchers: map[layers.LinkType]*filter.Matcher{}}
}

func (fl *filters) compile(link layers.LinkType) (*filter.Matcher, error) {
	if m, ok := fl.matchers[link]; ok {
		return m, nil
	}
	prog, err := filter.Compile(fl.expr, link, capture.MaxSnaplen)
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			return nil, usagef("filter: %v", err)
		}
		return nil, fmt.Errorf("filter for link type %s: %w", capture.LinkTypeName(link), err)
	}
	m, err := filter.NewMatcher(prog)
	if err != nil {
		return nil, err
	}
	fl.matchers[link] = m
	return m, nil
}

func (fl *filters) match(link layers.LinkType, data []byte, wireLen int) (bool, error) {
	if fl.expr == "" {
		return true, nil
	}
	m, err := fl.compile(link)
	if err != nil {
		return false, err
	}
	return m.Match(data, max(wireLen, len(data))), nil
}

func dumpFilter(e *env, fl *filters, link layers.LinkType, level int) error {
	prog, err := filter.Compile(fl.expr, link, capture.MaxSnaplen)
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			return usagef("filter: %v", err)
		}
		return err
	}
	format := []filter.Format{filter.Assembly, filter.CArray, filter.Decimal}[min(level, 3)-1]
	return filter.Dump(e.stdout, prog, format)
}

// output is where packets go: a printer in one of the formats, or a file.
type output struct {
	e       *env
	f       *printFlags
	bw      *bufio.Writer
	dec     *capture.Decoder
	printer *capture.Printer
	json    *capture.JSONPrinter
	tree    *capture.TreePrinter
	writer  *capture.RotatingWriter
	closed  bool
}

func newOutput(e *env, f *printFlags, ifaces []capture.Interface) (*output, error) {
	o := &output{e: e, f: f, dec: capture.NewDecoder()}
	if f.write == "" {
		o.bw = bufio.NewWriterSize(e.stdout, 64<<10)
		modes := 0
		for _, on := range []bool{f.json, f.tree, f.asExpr} {
			if on {
				modes++
			}
		}
		if modes > 1 {
			return nil, usagef("choose one of --json, -V and --as-expr")
		}
		switch {
		case f.json:
			o.json = capture.NewJSONPrinter(o.bw, f.options())
		case f.tree:
			o.tree = capture.NewTreePrinter(o.bw, f.options())
		case f.asExpr:
		default:
			o.printer = capture.NewPrinter(o.bw, f.options())
		}
		return o, nil
	}
	format := capture.Pcap
	if f.nano {
		format = capture.PcapNano
	}
	if f.pcapng || strings.HasSuffix(f.write, ".pcapng") {
		format = capture.Pcapng
	}
	link := layers.LinkTypeEthernet
	if len(ifaces) > 0 {
		link = ifaces[0].LinkType
	}
	rc := f.rotate
	if rc.mb < 0 || rc.seconds < 0 || rc.files < 0 {
		return nil, usagef("-C, -G and -W take positive numbers")
	}
	if rc.files > 0 && rc.mb == 0 && rc.seconds == 0 {
		return nil, usagef("-W needs -C or -G")
	}
	w, err := capture.NewRotatingWriter(capture.RotateConfig{
		Name:     f.write,
		MaxBytes: int64(rc.mb) * 1000000,
		Every:    time.Duration(rc.seconds) * time.Second,
		MaxFiles: rc.files,
		Format:   format,
		LinkType: link,
		Writer:   &capture.WriterConfig{Interfaces: ifaces, FlushEach: rc.flushEach, Snaplen: rc.snaplen},
		Stdout:   e.stdout,
	}, time.Now())
	if err != nil {
		return nil, err
	}
	o.writer = w
	return o, nil
}

func (o *output) packet(ci gopacket.CaptureInfo, ifc capture.Interface, data []byte) error {
	if o.writer != nil {
		w := o.writer.Writer()
		if w == nil {
			return nil
		}
		if w.Format() != capture.Pcapng && ifc.LinkType != w.LinkType() {
			return fmt.Errorf("packets of link types %s and %s cannot share a pcap file: write pcapng (--pcapng)",
				capture.LinkTypeName(w.LinkType()), capture.LinkTypeName(ifc.LinkType))
		}
		if w.Format() != capture.Pcapng {
			ci.InterfaceIndex = 0
		}
		return o.writer.WritePacket(ci, data)
	}
	o.dec.Decode(ifc.LinkType, data)
	switch {
	case o.json != nil:
		return o.json.Print(ci, o.dec, data, ifc.Name)
	case o.tree != nil:
		return o.tree.Print(ci, o.dec, data)
	case o.printer != nil:
		return o.printer.Print(ci, o.dec, data)
	}
	return o.expr(ifc.LinkType, data)
}

// expr prints a packet as the layer expression that rebuilds it, from its
// Ethernet or IP header (cooked and loopback headers have no layer).
func (o *output) expr(link layers.LinkType, data []byte) error {
	first := layers.LayerTypeEthernet
	skip := 0
	switch link {
	case layers.LinkTypeEthernet:
	case layers.LinkTypeLinuxSLL:
		skip = 16
	case layers.LinkTypeLinuxSLL2:
		skip = 20
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		skip = 4
	case layers.LinkTypeRaw, 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
	default:
		_, err := fmt.Fprintf(o.bw, "# link type %s has no layer expression\n", capture.LinkTypeName(link))
		return err
	}
	if link != layers.LinkTypeEthernet {
		if len(data) <= skip {
			_, err := fmt.Fprintf(o.bw, "# %d bytes: no network header\n", len(data))
			return err
		}
		data = data[skip:]
		first = layers.LayerTypeIPv4
		if data[0]>>4 == 6 {
			first = layers.LayerTypeIPv6
		}
	}
	s, err := craft.Expr(data, first)
	if err != nil {
		_, err = fmt.Fprintf(o.bw, "# %v\n", err)
		return err
	}
	_, err = fmt.Fprintln(o.bw, s)
	return err
}

// done reports that -G with -W has written its last file.
func (o *output) done() bool { return o.writer != nil && o.writer.Done() }

// flushText shows printed lines at once when the capture waits.
func (o *output) flushText() error {
	if o.bw != nil {
		return o.bw.Flush()
	}
	return nil
}

func (o *output) close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	if o.bw != nil {
		return o.bw.Flush()
	}
	if o.writer != nil {
		return o.writer.Close()
	}
	return nil
}
