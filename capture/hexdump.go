package capture

import "strings"

const hexDigits = "0123456789abcdef"

// AppendHexASCII appends b as tcpdump -X dumps it: lines of 16 bytes, each
// starting with prefix and the offset, in 2-byte hex groups and then as
// ASCII with "." for anything not graphic:
//
//	prefix + "0x0000:  4500 0054 0000 4000 4001 b7a6 c633 6402  E..T..@.@....3d."
//
// tcpdump's prefix is "\n\t"; the result has no trailing newline.
func AppendHexASCII(dst []byte, b []byte, prefix string) []byte {
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		dst = append(dst, prefix...)
		dst = appendOffset(dst, off)
		width := 0
		for i := 0; i < len(line); i += 2 {
			dst = append(dst, ' ', hexDigits[line[i]>>4], hexDigits[line[i]&0xf])
			width += 3
			if i+1 < len(line) {
				dst = append(dst, hexDigits[line[i+1]>>4], hexDigits[line[i+1]&0xf])
				width += 2
			}
		}
		for ; width < 40; width++ {
			dst = append(dst, ' ')
		}
		dst = append(dst, ' ', ' ')
		for _, c := range line {
			if c < 0x21 || c > 0x7e {
				c = '.'
			}
			dst = append(dst, c)
		}
	}
	return dst
}

// AppendHex appends b as tcpdump -x dumps it: the lines of AppendHexASCII
// without the ASCII column.
func AppendHex(dst []byte, b []byte, prefix string) []byte {
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		dst = append(dst, prefix...)
		dst = appendOffset(dst, off)
		for i := 0; i < len(line); i += 2 {
			dst = append(dst, ' ', hexDigits[line[i]>>4], hexDigits[line[i]&0xf])
			if i+1 < len(line) {
				dst = append(dst, hexDigits[line[i+1]>>4], hexDigits[line[i+1]&0xf])
			}
		}
	}
	return dst
}

// AppendASCII appends b as tcpdump -A prints it: a newline, then the bytes
// as text, with "." for anything but graphic characters, space, tab and
// newline, and carriage returns before a newline or the last byte dropped.
func AppendASCII(dst []byte, b []byte) []byte {
	dst = append(dst, '\n')
	for i, c := range b {
		switch {
		case c == '\r':
			// tcpdump drops a carriage return before a newline, and (one
			// byte early) before the last byte of the packet.
			if len(b)-i-1 > 1 && b[i+1] != '\n' {
				dst = append(dst, '.')
			}
		case (c >= 0x21 && c <= 0x7e) || c == '\t' || c == ' ' || c == '\n':
			dst = append(dst, c)
		default:
			dst = append(dst, '.')
		}
	}
	return dst
}

func appendOffset(dst []byte, off int) []byte {
	return append(dst, '0', 'x',
		hexDigits[off>>12&0xf], hexDigits[off>>8&0xf], hexDigits[off>>4&0xf], hexDigits[off&0xf], ':', ' ')
}

// HexDump returns b as tcpdump -X dumps it, one tab-indented line per 16
// bytes, each ending in a newline: the dump rawsock prints under a
// packet's line wherever it shows raw bytes.
func HexDump(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	out := AppendHexASCII(nil, b, "\n\t")
	return strings.TrimPrefix(string(out), "\n") + "\n"
}

// appendHexASCII is the dump tcpdump prints for a protocol it cannot
// decode.
func appendHexASCII(dst, b []byte, prefix string) []byte { return AppendHexASCII(dst, b, prefix) }

// dump appends the -x/-X/-A dump of a frame whose network header starts at
// netOff (-1 when there is none).
func (p *Printer) dump(data []byte, netOff int) {
	body := data
	switch p.opt.Hex {
	case HexNone:
		return
	case HexPayload, HexASCIIPayload, ASCIIPayload:
		if p.cut {
			break
		}
		if netOff < 0 || netOff >= len(data) {
			return
		}
		body = data[netOff:]
	}
	switch p.opt.Hex {
	case HexPayload, HexFrame:
		p.b = AppendHex(p.b, body, "\n\t")
	case HexASCIIPayload, HexASCIIFrame:
		p.b = AppendHexASCII(p.b, body, "\n\t")
	case ASCIIPayload, ASCIIFrame:
		p.b = AppendASCII(p.b, body)
	}
}
