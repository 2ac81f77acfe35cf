package craft

import "strings"

// LayerInfo describes a layer of the expression language, as "rawsock
// layers" prints it.
type LayerInfo struct {
	Name    string
	Summary string
	Fields  []FieldInfo
	// Carries lists the layers that may follow this one.
	Carries []string
}

// FieldInfo describes one field of a layer.
type FieldInfo struct {
	Name string
	// Type says what the field takes ("0-255", "IPv4 address, range or
	// /prefix", "flags or 0-7", …).
	Type string
	// Default is the value used when the field is left out.
	Default string
	// Help says what the field is for, or when it applies.
	Help string
}

// Layers describes every layer of the expression language, in order.
func Layers() []LayerInfo {
	out := make([]LayerInfo, 0, len(registry))
	for _, d := range registry {
		out = append(out, d.info())
	}
	return out
}

// Layer describes the layer called name; ok is false when there is none.
func Layer(name string) (info LayerInfo, ok bool) {
	d := lookupLayer(strings.ToLower(name))
	if d == nil {
		return LayerInfo{}, false
	}
	return d.info(), true
}

// SuggestLayer returns the layer name closest to name when it looks like a
// typo of one, or "".
func SuggestLayer(name string) string { return suggest(name, layerNames()) }

func (d *layerDef) info() LayerInfo {
	li := LayerInfo{Name: d.name, Summary: d.summary, Carries: d.carries}
	for _, f := range d.fields {
		help := f.help
		if len(f.aliases) > 0 {
			help = strings.TrimPrefix(help+"; also written "+strings.Join(f.aliases, ", "), "; ")
		}
		li.Fields = append(li.Fields, FieldInfo{Name: f.name, Type: f.typ, Default: f.dflt, Help: help})
	}
	return li
}
