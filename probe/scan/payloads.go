package scan

// udpPayload returns what a UDP probe to port carries: a small, harmless
// request in the protocol usually served there, so that a listening service
// answers and the port shows open instead of open|filtered. Other ports get
// an empty datagram, which is what most services ignore.
func udpPayload(port uint16) []byte {
	switch port {
	case 53, 5353:
		return dnsQuery
	case 123:
		return ntpRequest[:]
	case 137:
		return netbiosStatus
	case 161:
		return snmpGet
	}
	return nil
}

// dnsQuery asks for the name servers of the root zone (RFC 1035 §4.1): any
// DNS server answers it, if only with REFUSED.
var dnsQuery = []byte{
	0x72, 0x73, // ID "rs"
	0x01, 0x00, // standard query, recursion desired
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // one question
	0x00,       // the root name
	0x00, 0x02, // type NS
	0x00, 0x01, // class IN
}

// ntpRequest is an NTPv4 client request (RFC 5905 §7.3): leap indicator 3
// (unsynchronized), version 4, mode 3, and the rest zero.
var ntpRequest = [48]byte{0: 0xe3}

// netbiosStatus is a NetBIOS node status request for the wildcard name "*"
// (RFC 1002 §4.2.17), which a NetBIOS name service answers with its table.
var netbiosStatus = append([]byte{
	0x72, 0x73, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x20, 'C', 'K'}, append([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	0x00,       // end of name
	0x00, 0x21, // type NBSTAT
	0x00, 0x01, // class IN
)...)

// snmpGet is an SNMPv1 GetRequest for sysDescr.0 (1.3.6.1.2.1.1.1.0) with
// the community "public" (RFC 1157), in BER.
var snmpGet = []byte{
	0x30, 0x26, // message
	0x02, 0x01, 0x00, // version 1
	0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', // community
	0xa0, 0x19, // GetRequest PDU
	0x02, 0x01, 0x01, // request id 1
	0x02, 0x01, 0x00, // error status
	0x02, 0x01, 0x00, // error index
	0x30, 0x0e, 0x30, 0x0c, // the variable bindings: one
	0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, // sysDescr.0
	0x05, 0x00, // NULL value
}
