// Package replay sends a capture back onto the wire, as tcpreplay does: at
// its recorded timing (faster or slower by a multiplier), at a set rate of
// packets or megabits a second, or as fast as the kernel takes the frames.
//
// Run reads the packets of a Source (a capture.Reader) and hands them to a
// Sender: a PacketSender puts Ethernet frames on one interface through
// AF_PACKET (layer 2), a RawSender puts IP packets on raw sockets with the
// header included, routed by the kernel (layer 3). Frames are re-framed
// for the output: Linux cooked (SLL, SLL2), BSD loopback and raw-IP
// captures get an Ethernet header for layer 2, and every capture loses its
// link header for layer 3, which skips what is not IP. A Rewrite maps
// source and destination addresses (one address for all, OLD=NEW pairs, or
// network to network keeping the host part, as tcprewrite's pseudo-NAT
// does), sets or moves the TTL, and fixes the checksums the changes break.
//
// The pace is kept against an absolute schedule, so a slow moment is made
// up for rather than carried over: each packet is due at the start plus
// its offset. The clock sleeps in the kernel until just before a packet is
// due and then watches the time, which holds thousands of packets a second
// to some microseconds without keeping a core busy. At top speed, frames
// go out in sendmmsg(2) batches.
//
// The Sender and the Clock are small interfaces, so that the pace, the
// re-framing and the rewriting are tested with fakes and without
// privileges.
package replay
