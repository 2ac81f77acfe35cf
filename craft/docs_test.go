package craft

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExpressions keeps docs/expressions.md in step with the registry:
// every layer has its section, and every field its row there.
func TestDocsExpressions(t *testing.T) {
	b, err := os.ReadFile("../docs/expressions.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, li := range Layers() {
		i := strings.Index(doc, "\n### "+li.Name+"\n")
		if i < 0 {
			t.Errorf("docs/expressions.md has no section for %s", li.Name)
			continue
		}
		section := doc[i+1:]
		if j := strings.Index(section[4:], "\n### "); j >= 0 {
			section = section[:j+4]
		}
		for _, f := range li.Fields {
			row := "| `" + f.Name + "` | " + f.Type + " | " + f.Default + " |"
			if !strings.Contains(section, row) {
				t.Errorf("docs/expressions.md, %s: no row %q", li.Name, row)
			}
		}
	}
	// Every example expression in the document parses.
	for _, line := range strings.Split(doc, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(line, "    ") && (strings.HasPrefix(l, "ip(") || strings.HasPrefix(l, "igmp(")) && !strings.Contains(l, "  ") {
			expr := l
			if strings.HasPrefix(l, "igmp(") {
				expr = "ip()/" + l
			}
			if _, err := Parse(expr); err != nil {
				t.Errorf("example %s: %v", l, err)
			}
		}
	}
}
