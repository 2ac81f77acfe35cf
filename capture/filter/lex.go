package filter

import (
	"regexp"
	"strings"
	"sync"
)

// The scanner splits an expression into tokens the way tcpdump's does: at
// each position the longest match wins, and between matches of the same
// length the earlier rule of tcpdump's scanner wins (a keyword before a
// name, a number before a name, an Ethernet address before a name). Getting
// this exactly right is what keeps "len-1" a (rejected) name rather than a
// subtraction, as it is for tcpdump.

type tokKind int

const (
	tEOF     tokKind = iota
	tNum             // a number, or one of the named constants (tcp-syn, icmp-echo…)
	tName            // a name (host, port, protocol) or a \escaped word
	tIPv4            // dotted IPv4 address of 1 to 4 parts ("10", "10.1", "1.2.3.4")
	tIPv6            // IPv6 address
	tMAC             // Ethernet address
	tKeyword         // a keyword; kw says which
	tOp              // an operator or punctuation; op says which
)

// Operators and punctuation. The two-character ones are named; the others
// are their own character.
const (
	opGE  = 'G' // >=
	opLE  = 'L' // <=
	opNE  = 'N' // !=
	opLSH = 'l' // <<
	opRSH = 'r' // >>
)

type token struct {
	kind tokKind
	kw   keyword
	op   byte
	num  uint32
	text string // the source text, as written
	col  int    // 1-based column of the first character
}

type keyword int

const (
	kwNone keyword = iota
	kwDst
	kwSrc
	kwLink // link, ether, ppp, slip, fddi, tr, wlan
	kwARP
	kwRARP
	kwIP
	kwSCTP
	kwTCP
	kwUDP
	kwICMP
	kwIGMP
	kwIP6
	kwICMP6
	kwHost
	kwNet
	kwMask
	kwPort
	kwPortrange
	kwProto
	kwLess
	kwGreater
	kwBroadcast
	kwMulticast
	kwAnd // and, &&
	kwOr  // or, ||
	kwNot // not, !
	kwLen // len, length
	kwVLAN
	kwUnsupported // a tcpdump keyword rawsock does not implement
)

var keywords = map[string]keyword{
	"dst": kwDst, "src": kwSrc,
	"link": kwLink, "ether": kwLink, "ppp": kwLink, "slip": kwLink,
	"fddi": kwLink, "tr": kwLink, "wlan": kwLink,
	"arp": kwARP, "rarp": kwRARP, "ip": kwIP, "sctp": kwSCTP, "tcp": kwTCP,
	"udp": kwUDP, "icmp": kwICMP, "igmp": kwIGMP, "ip6": kwIP6, "icmp6": kwICMP6,
	"host": kwHost, "net": kwNet, "mask": kwMask, "port": kwPort,
	"portrange": kwPortrange, "proto": kwProto,
	"less": kwLess, "greater": kwGreater,
	"broadcast": kwBroadcast, "multicast": kwMulticast,
	"and": kwAnd, "or": kwOr, "not": kwNot,
	"len": kwLen, "length": kwLen,
	"vlan": kwVLAN,
}

// unsupported are the rest of tcpdump's keywords. They scan as keywords, so
// that none of them is ever taken for a host name, and the parser rejects
// each by name.
var unsupported = strings.Fields(`igrp pim vrrp carp radio ah esp atalk aarp decnet lat sca moprc
	mopdl iso esis es-is isis is-is l1 l2 iih lsp snp csnp psnp clnp stp ipx netbeui protochain
	gateway type subtype direction dir address1 addr1 address2 addr2 address3 addr3 address4 addr4
	ra ta byte inbound outbound ifindex mpls pppoed pppoes geneve vxlan lane llc metac bcc oam oamf4
	oamf4ec oamf4sc sc ilmic vpi vci connectmsg metaconnect on ifname rset ruleset rnr rulenum srnr
	subrulenum reason action fisu lssu lsu msu hfisu hlssu hmsu sio opc dpc sls hsio hopc hdpc hsls`)

// namedNumbers are tcpdump's named constants: offsets and values for
// tcp[tcpflags], icmp[icmptype] and icmp6[icmp6type].
var namedNumbers = map[string]uint32{
	"icmptype": 0, "icmpcode": 1,
	"icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5,
	"icmp-echo": 8, "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11,
	"icmp-paramprob": 12, "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15,
	"icmp-ireqreply": 16, "icmp-maskreq": 17, "icmp-maskreply": 18,

	"icmp6type": 0, "icmp6code": 1,
	"icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3,
	"icmp6-parameterproblem": 4, "icmp6-echo": 128, "icmp6-echoreply": 129,
	"icmp6-multicastlistenerquery": 130, "icmp6-multicastlistenerreportv1": 131,
	"icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133, "icmp6-routeradvert": 134,
	"icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
	"icmp6-routerrenum": 138, "icmp6-nodeinformationquery": 139,
	"icmp6-nodeinformationresponse": 140, "icmp6-ineighbordiscoverysolicit": 141,
	"icmp6-ineighbordiscoveryadvert": 142, "icmp6-multicastlistenerreportv2": 143,
	"icmp6-homeagentdiscoveryrequest": 144, "icmp6-homeagentdiscoveryreply": 145,
	"icmp6-mobileprefixsolicit": 146, "icmp6-mobileprefixadvert": 147,
	"icmp6-certpathsolicit": 148, "icmp6-certpathadvert": 149,
	"icmp6-multicastrouteradvert": 151, "icmp6-multicastroutersolicit": 152,
	"icmp6-multicastrouterterm": 153,

	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
	"tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
}

func init() {
	for _, w := range unsupported {
		keywords[w] = kwUnsupported
	}
}

// The rules whose shape is more than a word. Each is anchored at the
// current position; the scanner measures how far each reaches. They are
// compiled on first use, so commands that never compile a filter do not pay
// for them at start-up.
var (
	reNum   = longest(`0[xX][0-9A-Fa-f]+|[0-9]+`)
	reIPv4  = longest(nPat + `\.` + nPat + `(?:\.` + nPat + `(?:\.` + nPat + `)?)?`)
	reMAC   = longest(macPat)
	reBadEA = longest(bPat + `:+(?:` + bPat + `:+)+`)
	reIPv6  = sync.OnceValue(func() *regexp.Regexp { return compileLongest(v6Pattern()) })
	reName  = longest(`[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?`)
	reQuote = longest(`\\[^ !()\n\t]+`)
)

// longest returns a rule anchored at the start of the input that, like
// flex, prefers the longest match, compiled when first called.
func longest(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return compileLongest(pattern) })
}

func compileLongest(pattern string) *regexp.Regexp {
	re := regexp.MustCompile(`^(?:` + pattern + `)`)
	re.Longest()
	return re
}

const (
	nPat   = `(?:0[xX][0-9A-Fa-f]+|[0-9]+)`
	bPat   = `[0-9A-Fa-f][0-9A-Fa-f]?`
	b2Pat  = `[0-9A-Fa-f]{4}`
	macPat = bPat + `:` + bPat + `:` + bPat + `:` + bPat + `:` + bPat + `:` + bPat + `|` +
		bPat + `-` + bPat + `-` + bPat + `-` + bPat + `-` + bPat + `-` + bPat + `|` +
		bPat + `\.` + bPat + `\.` + bPat + `\.` + bPat + `\.` + bPat + `\.` + bPat + `|` +
		b2Pat + `\.` + b2Pat + `\.` + b2Pat + `|` + b2Pat + b2Pat + b2Pat
)

// v6Pattern spells out the IPv6 shapes tcpdump's scanner accepts: eight
// groups, or fewer with one "::" anywhere, optionally ending in a dotted
// IPv4 address in place of the last two groups.
func v6Pattern() string {
	const w = `[0-9A-Fa-f]{1,4}`
	const v4 = nPat + `\.` + nPat + `\.` + nPat + `\.` + nPat
	groups := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = w
		}
		return strings.Join(s, ":")
	}
	var alts []string
	// Without an embedded IPv4 address: 8 groups in all, or fewer with ::.
	alts = append(alts, groups(8))
	for total := 0; total <= 7; total++ {
		for before := 0; before <= total; before++ {
			alts = append(alts, groups(before)+"::"+groups(total-before))
		}
	}
	// With one: 6 groups in all, or fewer with ::.
	alts = append(alts, groups(6)+":"+v4)
	for total := 0; total <= 5; total++ {
		for before := 0; before <= total; before++ {
			after := groups(total - before)
			if after != "" {
				after += ":"
			}
			alts = append(alts, groups(before)+"::"+after+v4)
		}
	}
	return strings.Join(alts, "|")
}

// scan splits src into tokens, ending with a tEOF token.
func scan(src string) ([]token, error) {
	var toks []token
	for i := 0; ; {
		for i < len(src) && strings.IndexByte(" \t\r\n", src[i]) >= 0 {
			i++
		}
		if i == len(src) {
			toks = append(toks, token{kind: tEOF, col: i + 1})
			return toks, nil
		}
		t, n, err := scanOne(src, i)
		if err != nil {
			return nil, err
		}
		t.text = src[i : i+n]
		t.col = i + 1
		toks = append(toks, t)
		i += n
	}
}

// scanOne reads the token at src[i:] and returns it with its length.
func scanOne(src string, i int) (token, int, error) {
	rest := src[i:]
	errAt := func(n int, format string, args ...any) error {
		return errorAt(i+1, rest[:n], format, args...)
	}
	// Operators first: none of the other rules starts with one of these
	// characters (a \word starts with a backslash).
	if n := opLen(rest); n > 0 {
		// "::1" is an address, not a colon.
		if m := reIPv6().FindString(rest); rest[0] != ':' || m == "" {
			return opToken(rest[:n]), n, nil
		}
	}
	if rest[0] == '$' {
		n := 1
		for n < len(rest) && n < 3 && isHex(rest[n]) {
			n++
		}
		if n == 1 {
			return token{}, 0, errAt(1, "unexpected character '$': write an address or a keyword")
		}
		return token{}, 0, errAt(n, "ARCnet addresses are not supported")
	}
	if rest[0] == '\\' {
		if m := reQuote().FindString(rest); m != "" {
			return token{kind: tName}, len(m), nil
		}
		return token{}, 0, errAt(1, "a backslash must be followed by a name, as in 'proto \\tcp'")
	}

	// The longest of the remaining rules wins; on a tie the rule tcpdump's
	// scanner lists first: keyword, MAC, number, IPv4, IPv6, bad Ethernet
	// address, named constant, name.
	name := len(reName().FindString(rest))
	best, kind := 0, tEOF
	consider := func(n int, k tokKind) {
		if n > best {
			best, kind = n, k
		}
	}
	if name > 0 {
		if _, ok := keywords[rest[:name]]; ok {
			consider(name, tKeyword)
		}
	}
	consider(len(reMAC().FindString(rest)), tMAC)
	consider(len(reNum().FindString(rest)), tNum)
	consider(len(reIPv4().FindString(rest)), tIPv4)
	if strings.IndexByte(rest, ':') >= 0 {
		consider(len(reIPv6().FindString(rest)), tIPv6)
		if n := len(reBadEA().FindString(rest)); n > best {
			for n < len(rest) && (isHex(rest[n]) || rest[n] == ':') {
				n++
			}
			return token{}, 0, errAt(n, "bad Ethernet address: write six bytes as in 00:11:22:33:44:55")
		}
	}
	if name > best {
		best, kind = name, tName
		if _, ok := namedNumbers[rest[:name]]; ok {
			kind = tNum
		}
	}
	if best == 0 {
		return token{}, 0, errAt(1, "unexpected character %q", rest[:1])
	}
	word := rest[:best]
	switch kind {
	case tKeyword:
		return token{kind: tKeyword, kw: keywords[word]}, best, nil
	case tNum:
		if v, ok := namedNumbers[word]; ok {
			return token{kind: tNum, num: v}, best, nil
		}
		v, err := parseNumber(word)
		if err != nil {
			return token{}, 0, errAt(best, "%v", err)
		}
		return token{kind: tNum, num: v}, best, nil
	}
	return token{kind: kind}, best, nil
}

func opLen(s string) int {
	if len(s) >= 2 {
		switch s[:2] {
		case ">=", "<=", "!=", "==", "<<", ">>", "&&", "||":
			return 2
		}
	}
	if strings.IndexByte("+-*/%:[]!<>()&|^=", s[0]) >= 0 {
		return 1
	}
	return 0
}

func opToken(s string) token {
	switch s {
	case ">=":
		return token{kind: tOp, op: opGE}
	case "<=":
		return token{kind: tOp, op: opLE}
	case "!=":
		return token{kind: tOp, op: opNE}
	case "==":
		return token{kind: tOp, op: '='}
	case "<<":
		return token{kind: tOp, op: opLSH}
	case ">>":
		return token{kind: tOp, op: opRSH}
	case "&&":
		return token{kind: tKeyword, kw: kwAnd}
	case "||":
		return token{kind: tKeyword, kw: kwOr}
	case "!":
		return token{kind: tKeyword, kw: kwNot}
	}
	return token{kind: tOp, op: s[0]}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// parseNumber reads a number as tcpdump does: 0x… is hexadecimal, a
// leading 0 is octal, anything else decimal; it must fit in 32 bits.
func parseNumber(s string) (uint32, error) {
	base, digits := 10, s
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	var v uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		}
		if d >= uint64(base) {
			if base == 8 {
				return 0, errorf("number %s has a digit that is not octal (a leading 0 means octal)", s)
			}
			return 0, errorf("number %s has a digit that is not valid in base %d", s, base)
		}
		v = v*uint64(base) + d
		if v > 0xffffffff {
			return 0, errorf("number %s does not fit in 32 bits", s)
		}
	}
	return uint32(v), nil
}
