//go:build !linux

package sockets

import (
	"errors"
	"runtime"
)

// Socket is Linux's socket; on other systems Open and its friends fail.
type Socket struct{}

var errNotImplemented = errors.New("sockets: not implemented on " + runtime.GOOS + ": rawsock needs Linux")

// Open fails: the package is implemented on Linux only.
func Open(family Family, typ Type, proto int, cfg *Config) (*Socket, error) {
	return nil, errNotImplemented
}

// Pair fails: the package is implemented on Linux only.
func Pair(family Family, typ Type, proto int) (*Socket, *Socket, error) {
	return nil, nil, errNotImplemented
}

// OpenPacket fails: the package is implemented on Linux only.
func OpenPacket(ifname string, typ Type, proto uint16, cfg *Config) (*Socket, error) {
	return nil, errNotImplemented
}

// Close does nothing.
func (s *Socket) Close() error { return nil }
