package filter_test

import (
	"testing"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/rawsock/rawsock/capture/filter"
)

// attach asks the kernel to attach prog to a socket: its own check of
// classic BPF (sk_chk_filter) runs then. Any socket will do, and a UDP one
// needs no privilege; it is never bound, so no packet reaches it.
func attach(t *testing.T, fd int, raw []bpf.RawInstruction) error {
	t.Helper()
	fprog := unix.SockFprog{Len: uint16(len(raw)), Filter: (*unix.SockFilter)(unsafe.Pointer(&raw[0]))}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog)
}

func udpSocket(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// TestKernelAcceptsPrograms attaches the program of every corpus expression,
// for every link type, to a socket: the kernel must accept each one.
func TestKernelAcceptsPrograms(t *testing.T) {
	fd := udpSocket(t)
	for _, link := range tcpdumpLinks {
		for _, expr := range corpus {
			for _, noOpt := range []bool{false, true} {
				prog, err := filter.CompileOptions(expr, link, 0, &filter.Options{NoOptimize: noOpt})
				if err != nil {
					continue
				}
				if err := attach(t, fd, prog); err != nil {
					t.Errorf("%q on link type %d (optimizer off: %v): the kernel refuses it: %v", expr, link, noOpt, err)
				}
			}
		}
	}
}

// TestKernelRefusesWhatCheckRefuses attaches programs Check refuses.
func TestKernelRefusesWhatCheckRefuses(t *testing.T) {
	fd := udpSocket(t)
	ret := bpf.RetConstant{Val: 1}
	for name, prog := range map[string][]bpf.Instruction{
		"read before write": {bpf.LoadScratch{Dst: bpf.RegA, N: 3}, ret},
		"jump past the end": {bpf.JumpIf{Cond: bpf.JumpEqual, SkipTrue: 5}, ret},
		"no return":         {bpf.LoadConstant{Dst: bpf.RegA, Val: 1}},
		"division by zero":  {bpf.ALUOpConstant{Op: bpf.ALUOpDiv, Val: 0}, ret},
		"shift by 32":       {bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 32}, ret},
	} {
		raw, err := bpf.Assemble(prog)
		if err != nil {
			t.Fatal(err)
		}
		if filter.Check(raw) == nil {
			t.Errorf("%s: Check accepts it", name)
		}
		if attach(t, fd, raw) == nil {
			t.Errorf("%s: the kernel accepts it", name)
		}
	}
}
