package capture

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONValid: every packet of every sample capture is one valid JSON
// object on one line, with the layers the decoder found.
func TestJSONValid(t *testing.T) {
	for _, file := range append(fixtures(t), filepath.Join(pcapsDir, "mixed.pcapng")) {
		pkts, err := readAll(t, file)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		j := NewJSONPrinter(&buf, &PrintOptions{Numeric: true})
		d := NewDecoder()
		for _, p := range pkts {
			d.Decode(p.link, p.data)
			if err := j.Print(p.ci, d, p.data, "eth0"); err != nil {
				t.Fatal(err)
			}
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != len(pkts) {
			t.Fatalf("%s: %d lines for %d packets", file, len(lines), len(pkts))
		}
		for i, line := range lines {
			var obj struct {
				Time    string
				Caplen  int
				Length  int
				Layers  []map[string]any
				Summary string
			}
			if err := json.Unmarshal([]byte(line), &obj); err != nil {
				t.Fatalf("%s packet %d: %v\n%s", filepath.Base(file), i, err, line)
			}
			d.Decode(pkts[i].link, pkts[i].data)
			if len(obj.Layers) != len(d.Layers) || obj.Caplen != len(pkts[i].data) || obj.Summary == "" {
				t.Errorf("%s packet %d: %d layers for %d decoded, caplen %d: %s", filepath.Base(file), i, len(obj.Layers), len(d.Layers), obj.Caplen, line)
			}
		}
	}
}

// TestJSONFields checks the fields of a DNS answer and an IGMPv3 report.
func TestJSONFields(t *testing.T) {
	find := func(file, summary string) map[string]any {
		pkts, _ := readAll(t, filepath.Join(pcapsDir, file))
		var buf bytes.Buffer
		j := NewJSONPrinter(&buf, &PrintOptions{Numeric: true})
		d := NewDecoder()
		for _, p := range pkts {
			buf.Reset()
			d.Decode(p.link, p.data)
			j.Print(p.ci, d, p.data, "")
			var obj map[string]any
			if err := json.Unmarshal(buf.Bytes(), &obj); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(obj["summary"].(string), summary) {
				return obj
			}
		}
		t.Fatalf("no packet of %s says %q", file, summary)
		return nil
	}
	obj := find("dns.pcap", "CNAME www.example.com., A 192.0.2.80")
	layers := obj["layers"].([]any)
	dns := layers[len(layers)-1].(map[string]any)
	answers := dns["answers"].([]any)
	if len(answers) != 2 || answers[0].(map[string]any)["target"] != "www.example.com." || answers[1].(map[string]any)["address"] != "192.0.2.80" {
		t.Errorf("DNS answers: got %v", answers)
	}
	obj = find("igmp.pcap", "igmp v3 report")
	layers = obj["layers"].([]any)
	igmp := layers[len(layers)-1].(map[string]any)
	recs := igmp["records"].([]any)
	if igmp["version"] != 3.0 || len(recs) != 1 {
		t.Fatalf("IGMP: got %v", igmp)
	}
	if ip := layers[1].(map[string]any); ip["ttl"] != 1.0 || len(ip["options"].([]any)) != 1 {
		t.Errorf("IPv4 of the IGMP report: got %v, want ttl 1 and the router alert option", ip)
	}
}

func TestJSONString(t *testing.T) {
	got := string(appendJSONString(nil, "a\"b\\c\n\x01\xff"))
	want := `"a\"b\\c\n\u0001` + "\ufffd" + `"`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestTree: -V names every layer and field.
func TestTree(t *testing.T) {
	pkts, _ := readAll(t, filepath.Join(pcapsDir, "tcp.pcap"))
	var buf bytes.Buffer
	tp := NewTreePrinter(&buf, &PrintOptions{Numeric: true, Location: utc})
	d := NewDecoder()
	d.Decode(pkts[0].link, pkts[0].data)
	tp.Print(pkts[0].ci, d, pkts[0].data)
	out := buf.String()
	for _, want := range []string{"Flags [S]", "\n  ethernet\n", "\n  ipv4\n", "\n  tcp\n", "    flags: SYN\n", "    options:\n      [0]\n        kind: 2\n", "    dst_port: 7777\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("tree lacks %q:\n%s", want, out)
		}
	}
}
