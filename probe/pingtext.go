package probe

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// A Namer turns an address into what ping and traceroute print for it:
// "name (address)" when a reverse lookup finds a name, the address alone
// otherwise. NumericNamer never looks anything up (-n).
type Namer interface {
	Name(addr netip.Addr) string
}

// NumericNamer prints bare addresses.
type NumericNamer struct{}

// Name returns addr as text.
func (NumericNamer) Name(addr netip.Addr) string { return addr.String() }

// TextReporter prints a ping run as iputils ping does, line for line:
// replies and errors on Out, the header and statistics on Out, local
// errors and the running statistics (SIGQUIT) on Err.
type TextReporter struct {
	Out, Err io.Writer
	// Names formats the addresses of replies and errors; nil is numeric.
	Names Namer
	// Quiet prints only the header and the statistics (-q); Flood prints
	// a dot per request and a backspace per reply (-f); Timestamps
	// prefixes lines with the Unix time (-D); Verbose adds the echo
	// identifier of replies on a raw socket (-v).
	Quiet, Flood, Timestamps, Verbose bool
	// ShowID prints the identifier with Verbose (raw sockets only).
	ShowID bool
	// Prog prefixes error lines, like iputils' "ping: ": "rawsock: ping".
	Prog string

	w     *bufio.Writer
	cfg   *PingConfig
	multi bool
}

func (t *TextReporter) out() *bufio.Writer {
	if t.w == nil {
		t.w = bufio.NewWriter(t.Out)
	}
	return t.w
}

func (t *TextReporter) name(a netip.Addr) string {
	if t.Names == nil {
		return a.String()
	}
	return t.Names.Name(a)
}

func (t *TextReporter) stamp(at time.Time) {
	if t.Timestamps {
		if at.IsZero() {
			at = time.Now()
		}
		fmt.Fprintf(t.out(), "[%d.%06d] ", at.Unix(), at.Nanosecond()/1000)
	}
}

// flush writes out what is buffered; a flood flushes less often.
func (t *TextReporter) flush() {
	if t.w != nil {
		t.w.Flush()
	}
}

// Start prints the header: "PING host (addr) 56(84) bytes of data." for
// IPv4, "PING host(addr) 56 data bytes" for IPv6.
func (t *TextReporter) Start(cfg *PingConfig, dataLen int) {
	t.cfg = cfg
	t.multi = cfg.Broadcast
	w := t.out()
	if len(cfg.Pattern) > 0 && !t.Quiet {
		fmt.Fprintf(w, "PATTERN: 0x%x\n", cfg.Pattern)
	}
	if cfg.Addr.Is6() {
		fmt.Fprintf(w, "PING %s(%s) ", cfg.Host, cfg.Addr)
	} else {
		fmt.Fprintf(w, "PING %s (%s) ", cfg.Host, cfg.Addr)
	}
	if cfg.ShowSource {
		fmt.Fprintf(w, "from %s %s: ", cfg.Source, cfg.Device)
	}
	if cfg.Addr.Is6() {
		fmt.Fprintf(w, "%d data bytes\n", dataLen)
	} else {
		fmt.Fprintf(w, "%d(%d) bytes of data.\n", dataLen, dataLen+8+20)
	}
	t.flush()
}

// Sent prints a flood's dot.
func (t *TextReporter) Sent(uint16) {
	if t.Flood && !t.Quiet {
		t.out().WriteByte('.')
		t.flushFlood()
	}
}

// flushFlood flushes a flood's output every so often rather than per
// packet: the dots are for a human watching.
func (t *TextReporter) flushFlood() {
	if t.w.Buffered() >= 512 {
		t.w.Flush()
	}
}

// SendFailed prints why a request could not be sent, or an E in a flood.
func (t *TextReporter) SendFailed(_ uint16, err error) {
	if t.Quiet {
		return
	}
	if t.Flood {
		t.out().WriteByte('E')
		t.flushFlood()
		return
	}
	t.flush()
	msg := err.Error()
	if _, ok := err.(*LocalError); !ok {
		msg = "sendmsg: " + errnoText(err)
	}
	fmt.Fprintf(t.Err, "%s: %s\n", t.prog(), msg)
}

func (t *TextReporter) prog() string {
	if t.Prog == "" {
		return "ping"
	}
	return t.Prog
}

// NoAnswerYet prints -O's line.
func (t *TextReporter) NoAnswerYet(seq uint16) {
	if t.Quiet {
		return
	}
	t.stamp(time.Time{})
	fmt.Fprintf(t.out(), "no answer yet for icmp_seq=%d\n", seq)
	t.flush()
}

// Reply prints "64 bytes from ADDR: icmp_seq=N ttl=T time=X ms".
func (t *TextReporter) Reply(r *PingReply) {
	if t.Quiet {
		return
	}
	w := t.out()
	if t.Flood {
		if r.BadChecksum {
			w.WriteString("\bC")
		} else {
			w.WriteString("\b \b")
		}
		t.flushFlood()
		return
	}
	t.stamp(r.At)
	fmt.Fprintf(w, "%d bytes from %s: icmp_seq=%d", r.Bytes, t.name(r.From), r.Seq)
	if t.Verbose && t.ShowID {
		fmt.Fprintf(w, " ident=%d", r.ID)
	}
	if r.TTL >= 0 {
		fmt.Fprintf(w, " ttl=%d", r.TTL)
	}
	if r.Truncated {
		w.WriteString(" (truncated)\n")
		t.flush()
		return
	}
	if r.Timing {
		fmt.Fprintf(w, " time=%s ms", FormatRTT(r.RTTUS))
	}
	if r.Dup && (!t.multi || t.Verbose) {
		w.WriteString(" (DUP!)")
	}
	if r.BadChecksum {
		w.WriteString(" (BAD CHECKSUM!)")
	}
	if r.WrongByte >= 0 {
		fmt.Fprintf(w, "\nwrong data byte #%d should be 0x%x but was 0x%x", r.WrongByte, r.Want, r.Got)
		for i := timevalLen; i < len(r.Data); i++ {
			if i%32 == timevalLen {
				fmt.Fprintf(w, "\n#%d\t", i)
			}
			fmt.Fprintf(w, "%x ", r.Data[i])
		}
	}
	w.WriteByte('\n')
	t.flush()
}

// FormatRTT formats a round-trip time in microseconds as iputils does:
// three decimals below 1 ms, two below 10 ms, one below 100 ms, none
// above, rounded.
func FormatRTT(us int64) string {
	switch {
	case us >= 100000-50:
		return strconv.FormatInt((us+500)/1000, 10)
	case us >= 10000-5:
		return fmt.Sprintf("%d.%01d", (us+50)/1000, ((us+50)%1000)/100)
	case us >= 1000:
		return fmt.Sprintf("%d.%02d", (us+5)/1000, ((us+5)%1000)/10)
	}
	return fmt.Sprintf("%d.%03d", us/1000, us%1000)
}

// Error prints "From ADDR icmp_seq=N Time to live exceeded".
func (t *TextReporter) Error(e *PingError) {
	if t.Quiet {
		return
	}
	if t.Flood {
		t.out().WriteString("\bE")
		t.flushFlood()
		return
	}
	t.stamp(e.At)
	fmt.Fprintf(t.out(), "From %s icmp_seq=%d %s\n", t.name(e.From), e.Seq, e.ICMPError.String())
	t.flush()
}

// Status prints the running statistics on Err, as SIGQUIT does in
// iputils: "\rN/M packets, L% loss, min/avg/ewma/max = …".
func (t *TextReporter) Status(s *PingStats) {
	t.flush()
	loss := 0
	if s.Transmitted > 0 {
		loss = (s.Transmitted - s.Received) * 100 / s.Transmitted
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\r%d/%d packets, %d%% loss", s.Received, s.Transmitted, loss)
	if s.Received > 0 && s.Timing {
		fmt.Fprintf(&b, ", min/avg/ewma/max = %s/%s/%s/%s ms",
			fixed3(s.MinUS), fixed3(s.AvgUS), fixed3(s.EWMA8US/8), fixed3(s.MaxUS))
	}
	b.WriteByte('\n')
	io.WriteString(t.Err, b.String())
}

// fixed3 prints microseconds as milliseconds with three decimals, the way
// iputils' statistics do (no rounding).
func fixed3(us int64) string { return fmt.Sprintf("%d.%03d", us/1000, us%1000) }

// Finish prints the statistics block.
func (t *TextReporter) Finish(s *PingStats) {
	w := t.out()
	w.WriteString(StatsText(s))
	t.flush()
}

// StatsText is iputils ping's statistics block, from the empty line that
// opens it to the line that closes it:
//
//	--- 203.0.113.2 ping statistics ---
//	2 packets transmitted, 2 received, 0% packet loss, time 1001ms
//	rtt min/avg/max/mdev = 0.049/0.053/0.058/0.004 ms
func StatsText(s *PingStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n--- %s ping statistics ---\n", s.Host)
	fmt.Fprintf(&b, "%d packets transmitted, %d received", s.Transmitted, s.Received)
	if s.Duplicates > 0 {
		fmt.Fprintf(&b, ", +%d duplicates", s.Duplicates)
	}
	if s.Corrupted > 0 {
		fmt.Fprintf(&b, ", +%d corrupted", s.Corrupted)
	}
	if s.Errors > 0 {
		fmt.Fprintf(&b, ", +%d errors", s.Errors)
	}
	if s.Transmitted > 0 {
		fmt.Fprintf(&b, ", %s%% packet loss", strconv.FormatFloat(s.Loss(), 'g', 6, 64))
		ms := (s.Elapsed + 500*time.Microsecond) / time.Millisecond
		fmt.Fprintf(&b, ", time %dms", int64(ms))
	}
	b.WriteByte('\n')
	comma := ""
	if s.Received > 0 && s.Timing {
		fmt.Fprintf(&b, "rtt min/avg/max/mdev = %s/%s/%s/%s ms", fixed3(s.MinUS), fixed3(s.AvgUS), fixed3(s.MaxUS), fixed3(s.MdevUS))
		comma = ", "
	}
	if s.Pipe > 1 {
		fmt.Fprintf(&b, "%spipe %d", comma, s.Pipe)
		comma = ", "
	}
	if s.ShowIPG {
		fmt.Fprintf(&b, "%sipg/ewma %s/%s ms", comma, fixed3(s.IPGUS), fixed3(s.EWMA8US/8))
	}
	b.WriteByte('\n')
	return b.String()
}

// errnoText is an error's last word, the errno text as strerror(3) says
// it ("Network is unreachable"), for iputils-style messages.
func errnoText(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg
}

// JSONReporter writes a ping run as JSON lines on Out: one object per
// reply ("type":"reply"), per ICMP error ("error"), per failed send
// ("send_error") and one summary ("summary") at the end.
type JSONReporter struct {
	Out io.Writer
	enc *json.Encoder
	cfg *PingConfig
}

// JSONReply is the object written for each echo reply.
type JSONReply struct {
	Type   string   `json:"type"`
	Host   string   `json:"host"`
	From   string   `json:"from"`
	Seq    uint16   `json:"seq"`
	Bytes  int      `json:"bytes"`
	TTL    *int     `json:"ttl,omitempty"`
	TimeMS *float64 `json:"time_ms,omitempty"`
	Dup    bool     `json:"dup,omitempty"`
	BadSum bool     `json:"bad_checksum,omitempty"`
	Trunc  bool     `json:"truncated,omitempty"`
	At     float64  `json:"timestamp"`
}

// JSONError is the object written for each ICMP error about a request.
type JSONError struct {
	Type     string  `json:"type"`
	Host     string  `json:"host"`
	From     string  `json:"from"`
	Seq      uint16  `json:"seq"`
	ICMPType uint8   `json:"icmp_type"`
	ICMPCode uint8   `json:"icmp_code"`
	Message  string  `json:"message"`
	At       float64 `json:"timestamp"`
}

// JSONSummary is the object written at the end.
type JSONSummary struct {
	Type        string   `json:"type"`
	Host        string   `json:"host"`
	Addr        string   `json:"addr"`
	Transmitted int      `json:"transmitted"`
	Received    int      `json:"received"`
	Duplicates  int      `json:"duplicates"`
	Corrupted   int      `json:"corrupted"`
	Errors      int      `json:"errors"`
	LossPercent float64  `json:"loss_percent"`
	TimeMS      int64    `json:"time_ms"`
	MinMS       *float64 `json:"rtt_min_ms,omitempty"`
	AvgMS       *float64 `json:"rtt_avg_ms,omitempty"`
	MaxMS       *float64 `json:"rtt_max_ms,omitempty"`
	MdevMS      *float64 `json:"rtt_mdev_ms,omitempty"`
	Pipe        int      `json:"pipe,omitempty"`
}

func (j *JSONReporter) write(v any) {
	if j.enc == nil {
		j.enc = json.NewEncoder(j.Out)
	}
	j.enc.Encode(v)
}

func ms(us int64) *float64 { v := float64(us) / 1000; return &v }

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		t = time.Now()
	}
	return float64(t.UnixMicro()) / 1e6
}

// Start notes the configuration; JSON output has no header line.
func (j *JSONReporter) Start(cfg *PingConfig, _ int) { j.cfg = cfg }

// Sent writes nothing.
func (j *JSONReporter) Sent(uint16) {}

// SendFailed writes a "send_error" object.
func (j *JSONReporter) SendFailed(seq uint16, err error) {
	j.write(struct {
		Type  string `json:"type"`
		Seq   uint16 `json:"seq"`
		Error string `json:"error"`
	}{"send_error", seq, err.Error()})
}

// NoAnswerYet writes nothing: the summary counts the loss.
func (j *JSONReporter) NoAnswerYet(uint16) {}

// Reply writes a "reply" object.
func (j *JSONReporter) Reply(r *PingReply) {
	o := JSONReply{Type: "reply", Host: j.cfg.Host, From: r.From.String(), Seq: r.Seq, Bytes: r.Bytes,
		Dup: r.Dup, BadSum: r.BadChecksum, Trunc: r.Truncated, At: unixSeconds(r.At)}
	if r.TTL >= 0 {
		ttl := r.TTL
		o.TTL = &ttl
	}
	if r.Timing && !r.Truncated {
		o.TimeMS = ms(r.RTTUS)
	}
	j.write(o)
}

// Error writes an "error" object.
func (j *JSONReporter) Error(e *PingError) {
	j.write(JSONError{Type: "error", Host: j.cfg.Host, From: e.From.String(), Seq: e.Seq,
		ICMPType: e.Type, ICMPCode: e.Code, Message: e.ICMPError.String(), At: unixSeconds(e.At)})
}

// Status writes a "status" object shaped like the summary.
func (j *JSONReporter) Status(s *PingStats) {
	o := summaryObject(s)
	o.Type = "status"
	j.write(o)
}

// Finish writes the "summary" object.
func (j *JSONReporter) Finish(s *PingStats) { j.write(summaryObject(s)) }

func summaryObject(s *PingStats) JSONSummary {
	o := JSONSummary{Type: "summary", Host: s.Host, Addr: s.Addr.String(), Transmitted: s.Transmitted,
		Received: s.Received, Duplicates: s.Duplicates, Corrupted: s.Corrupted, Errors: s.Errors,
		LossPercent: s.Loss(), TimeMS: int64((s.Elapsed + 500*time.Microsecond) / time.Millisecond)}
	if s.Received > 0 && s.Timing {
		o.MinMS, o.AvgMS, o.MaxMS, o.MdevMS = ms(s.MinUS), ms(s.AvgUS), ms(s.MaxUS), ms(s.MdevUS)
	}
	if s.Pipe > 1 {
		o.Pipe = s.Pipe
	}
	return o
}
