package probe

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
)

// TraceText prints a traceroute run as traceroute(8) does:
//
//	traceroute to 203.0.113.2 (203.0.113.2), 30 hops max, 60 byte packets
//	 1  198.51.100.1  0.254 ms  0.008 ms  0.005 ms
//	 2  * * *
//	 3  203.0.113.2  0.059 ms !H  0.009 ms !H  0.009 ms !H
//
// An address is printed before a probe's time when it differs from the
// last address printed on the line.
type TraceText struct {
	Out io.Writer
	// Names formats hop addresses; nil prints them bare (-n).
	Names Namer

	w    *bufio.Writer
	prev netip.Addr // the last address printed on the current line
}

func (t *TraceText) name(a netip.Addr) string {
	if t.Names == nil {
		return a.String()
	}
	return t.Names.Name(a)
}

// Start prints the header line (without its newline, which the first hop
// brings, as in traceroute).
func (t *TraceText) Start(cfg *TraceConfig) {
	t.w = bufio.NewWriter(t.Out)
	fmt.Fprintf(t.w, "traceroute to %s (%s), %d hops max, %d byte packets", cfg.Host, cfg.Addr, cfg.MaxTTL, cfg.PacketLen)
	t.w.Flush()
}

// Probe prints one probe: the hop number first on a new line, then the
// address when it changes, the time and the mark, or "*".
func (t *TraceText) Probe(p *TraceProbe, index int) {
	if index == 0 {
		fmt.Fprintf(t.w, "\n%2d ", p.TTL)
		t.prev = netip.Addr{}
	}
	if !p.From.IsValid() {
		t.w.WriteString(" *")
	} else {
		if p.From != t.prev {
			t.w.WriteString(" " + t.name(p.From))
			t.prev = p.From
		}
		fmt.Fprintf(t.w, "  %.3f ms", float64(p.RTT)/float64(1e6))
		if p.Mark != "" {
			t.w.WriteString(" " + p.Mark)
		}
	}
	t.w.Flush()
}

// Finish ends the last line.
func (t *TraceText) Finish(*TraceSummary) {
	t.w.WriteString("\n")
	t.w.Flush()
}

// TraceJSON writes a traceroute run as JSON lines: one "hop" object per
// hop with its probes, and a "summary" object at the end.
type TraceJSON struct {
	Out io.Writer

	enc *json.Encoder
	cfg *TraceConfig
	hop *JSONHop
}

// JSONHop is the object written for each hop.
type JSONHop struct {
	Type   string         `json:"type"`
	Hop    int            `json:"hop"`
	Probes []JSONHopProbe `json:"probes"`
}

// JSONHopProbe is one probe of a hop: who answered and when, or Timeout
// when nothing did.
type JSONHopProbe struct {
	Timeout bool     `json:"timeout,omitempty"`
	Addr    string   `json:"addr,omitempty"`
	TimeMS  *float64 `json:"time_ms,omitempty"`
	Mark    string   `json:"mark,omitempty"`
	Reached bool     `json:"reached,omitempty"`
}

// JSONTraceSummary is the object written at the end.
type JSONTraceSummary struct {
	Type    string `json:"type"`
	Host    string `json:"host"`
	Addr    string `json:"addr"`
	Reached bool   `json:"reached"`
	Hops    int    `json:"hops"`
}

// Start notes the configuration.
func (j *TraceJSON) Start(cfg *TraceConfig) {
	j.cfg = cfg
	j.enc = json.NewEncoder(j.Out)
}

// Probe adds a probe to its hop and writes the hop when it is complete.
func (j *TraceJSON) Probe(p *TraceProbe, index int) {
	if index == 0 {
		j.flushHop()
		j.hop = &JSONHop{Type: "hop", Hop: p.TTL}
	}
	o := JSONHopProbe{Timeout: !p.From.IsValid()}
	if p.From.IsValid() {
		o.Addr = p.From.String()
		ms := float64(p.RTT.Microseconds()) / 1000
		o.TimeMS, o.Mark, o.Reached = &ms, p.Mark, p.Reached
	}
	j.hop.Probes = append(j.hop.Probes, o)
	if index == j.cfg.Queries-1 {
		j.flushHop()
	}
}

func (j *TraceJSON) flushHop() {
	if j.hop != nil {
		j.enc.Encode(j.hop)
		j.hop = nil
	}
}

// Finish writes the summary.
func (j *TraceJSON) Finish(s *TraceSummary) {
	j.flushHop()
	j.enc.Encode(JSONTraceSummary{Type: "summary", Host: s.Host, Addr: s.Addr.String(), Reached: s.Reached, Hops: s.Hops})
}
