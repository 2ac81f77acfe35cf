package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/rawsock/rawsock/craft"
)

func init() {
	register(&command{
		name:     "layers",
		synopsis: "layers [--json] [LAYER]",
		summary:  "list the layers of send's expressions, or the fields, types and defaults of one (scapy's ls())",
		help: `Without LAYER, lists every layer an expression may use and its fields. With LAYER, lists its
fields one per line: the type of value each takes, its default when left out, and what it
is for. Field names follow scapy's. Any field given in an expression is sent exactly as
given, even a wrong checksum or length; the computed ones are filled in otherwise.

Examples:
  rawsock layers
  rawsock layers tcp
  rawsock layers --json icmp`,
		setup: func(fs *pflag.FlagSet) func(*env, []string) error {
			asJSON := fs.Bool("json", false, "print one JSON object per layer")
			return func(e *env, args []string) error {
				var list []craft.LayerInfo
				switch len(args) {
				case 0:
					list = craft.Layers()
				case 1:
					li, ok := craft.Layer(args[0])
					if !ok {
						if g := craft.SuggestLayer(args[0]); g != "" {
							return usagef("unknown layer %q: did you mean %q?", args[0], g)
						}
						return usagef("unknown layer %q: run 'rawsock layers' for the list", args[0])
					}
					list = []craft.LayerInfo{li}
				default:
					return usagef("takes at most one layer name, got %d arguments", len(args))
				}
				switch {
				case *asJSON:
					enc := json.NewEncoder(e.stdout)
					for _, li := range list {
						if err := enc.Encode(layerJSON(li)); err != nil {
							return err
						}
					}
				case len(args) == 0:
					printLayerList(e, list)
				default:
					printLayer(e, list[0])
				}
				return nil
			}
		},
	})
}

type jsonField struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Default string `json:"default"`
	Help    string `json:"help,omitempty"`
}

type jsonLayer struct {
	Name    string      `json:"name"`
	Summary string      `json:"summary"`
	Carries []string    `json:"carries"`
	Fields  []jsonField `json:"fields"`
}

func layerJSON(li craft.LayerInfo) jsonLayer {
	j := jsonLayer{Name: li.Name, Summary: li.Summary, Carries: li.Carries}
	if j.Carries == nil {
		j.Carries = []string{}
	}
	for _, f := range li.Fields {
		j.Fields = append(j.Fields, jsonField(f))
	}
	return j
}

func printLayerList(e *env, list []craft.LayerInfo) {
	for _, li := range list {
		var names []string
		for _, f := range li.Fields {
			names = append(names, f.Name)
		}
		fmt.Fprintf(e.stdout, "%-6s %s\n       fields: %s\n", li.Name, li.Summary, strings.Join(names, " "))
	}
	fmt.Fprintf(e.stdout, "\nWrite layers outermost first: ip(dst=…)/tcp(dport=80, flags=S).\n"+
		"Run 'rawsock layers LAYER' for the types and defaults of one layer's fields.\n")
}

func printLayer(e *env, li craft.LayerInfo) {
	fmt.Fprintf(e.stdout, "%s: %s\n", li.Name, li.Summary)
	if len(li.Carries) > 0 {
		fmt.Fprintf(e.stdout, "carries: %s\n", strings.Join(li.Carries, ", "))
	}
	fmt.Fprintln(e.stdout)
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "FIELD\tTYPE\tDEFAULT\tNOTES\n")
	for _, f := range li.Fields {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Type, f.Default, f.Help)
	}
	tw.Flush()
	// A field without notes would end in the padding of its default.
	for _, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		fmt.Fprintln(e.stdout, strings.TrimRight(line, " "))
	}
}
