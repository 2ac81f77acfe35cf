package main

// Clean stops (issue 6): every command that runs until it is stopped, run
// as the built binary in a lab and stopped by SIGINT and by SIGTERM once it
// is demonstrably at work, prints its summary, leaves a file that tshark
// reads whole with the count the command printed, and exits with the status
// its help gives.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"

	"github.com/rawsock/rawsock/capture"
	"github.com/rawsock/rawsock/internal/netlab"
)

// A sigCase is one command of the matrix.
type sigCase struct {
	name string
	args []string // FILE stands for a file of the run's own
	// busy returns once the command is demonstrably at work.
	busy func(t *testing.T, p *sigProc)
	// status is the exit status the command's help gives after sig.
	status func(sig syscall.Signal) int
	// check reads the outputs and the file.
	check func(t *testing.T, p *sigProc, file string)
}

// A sigProc is a running rawsock.
type sigProc struct {
	cmd            *exec.Cmd
	stdout, stderr sniffBuffer
}

func TestSignalMatrix(t *testing.T) {
	tshark := netlab.RequireTool(t, "tshark")
	a, b := scanLab(t) // b drops TCP to ports 2000-2999 and counts what it drops
	bin := netlab.Binary(t)
	exitZero := func(syscall.Signal) int { return 0 }
	pings := 0 // echo requests b has seen, read before each ping run
	inEchos := func() int { return kernelCounter(t, b, "/proc/net/snmp", "Icmp", "InEchos") }
	var dropsBefore int
	sniffCase := func(name, ext string) sigCase {
		return sigCase{
			name: name,
			args: []string{"sniff", "-i", "eth0", "-w", "FILE" + ext, "icmp"},
			busy: func(t *testing.T, p *sigProc) {
				waitUntil(t, "sniff listening", func() bool { return strings.Contains(p.stderr.String(), "listening on") })
				a.MustRun("ping", "-c", "3", "-i", "0.2", "198.51.100.2")
			},
			status: exitZero,
			check: func(t *testing.T, p *sigProc, file string) {
				captured, _, _ := summary(t, p.stderr.String())
				if captured != 6 {
					t.Errorf("sniff says %d captured, want 3 requests and 3 replies", captured)
				}
				if n := tsharkCount(t, tshark, file); n != captured {
					t.Errorf("tshark reads %d packets, sniff says %d", n, captured)
				}
			},
		}
	}
	sendCase := func(name string, args ...string) sigCase {
		flood := args[0] == "--flood"
		return sigCase{
			name: name,
			args: append([]string{"send", "--duration", "1m"}, args...),
			busy: func(t *testing.T, p *sigProc) {
				waitUntil(t, "packets at the far end", func() bool { return dropped(t, b) >= dropsBefore+20 })
			},
			status: exitZero,
			check: func(t *testing.T, p *sigProc, file string) {
				m := regexp.MustCompile(`^sent (\d+) packets(?: in [0-9.]+ s: \d+ packets/s)?\n$`).FindStringSubmatch(p.stdout.String())
				if m == nil {
					t.Fatalf("stdout %q: want the count sent", p.stdout.String())
				}
				sent, _ := strconv.Atoi(m[1])
				if n := tsharkCount(t, tshark, file); n != sent {
					t.Errorf("tshark reads %d packets, send says %d", n, sent)
				}
				// Paced packets all arrive; a flood outruns the far
				// end's backlog (net.core.netdev_max_backlog), which
				// loses some of it.
				if !flood {
					waitUntil(t, "every packet sent at the far end", func() bool { return dropped(t, b)-dropsBefore >= sent })
				}
				if got := dropped(t, b) - dropsBefore; got > sent || got == 0 {
					t.Errorf("the far end has %d of the packets, send says it sent %d", got, sent)
				}
			},
		}
	}
	cases := []sigCase{
		sniffCase("sniff pcap", ".pcap"),
		sniffCase("sniff pcapng", ".pcapng"),
		sendCase("send flood", "--flood", "-w", "FILE.pcap", "ip(dst=198.51.100.2)/tcp(dport=2001, flags=S)"),
		sendCase("send rate", "--rate", "200", "-w", "FILE.pcapng", "ip(dst=198.51.100.2)/tcp(dport=2002, flags=S)"),
		{
			name: "ping",
			args: []string{"ping", "-i", "0.2", "-c", "1000", "198.51.100.2"},
			busy: func(t *testing.T, p *sigProc) {
				waitUntil(t, "the third reply", func() bool { return strings.Contains(p.stdout.String(), " icmp_seq=3 ") })
			},
			status: exitZero, // replies came
			check: func(t *testing.T, p *sigProc, _ string) {
				out := p.stdout.String()
				m := regexp.MustCompile(`\n--- 198\.51\.100\.2 ping statistics ---\n(\d+) packets transmitted, (\d+) received, 0% packet loss`).FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("no statistics:\n%s", out)
				}
				sent, _ := strconv.Atoi(m[1])
				if seen := inEchos() - pings; seen != sent {
					t.Errorf("ping says it sent %d requests, the far kernel saw %d", sent, seen)
				}
			},
		},
		{
			name: "scan",
			args: []string{"scan", "-r", "--retries", "0", "--timeout", "1m", "-p", "2000-2999", "198.51.100.2"},
			busy: func(t *testing.T, p *sigProc) {
				waitUntil(t, "probes at the far end", func() bool { return dropped(t, b) >= dropsBefore+10 })
			},
			status: func(sig syscall.Signal) int { return 128 + int(sig) },
			check: func(t *testing.T, p *sigProc, _ string) {
				if !strings.Contains(p.stdout.String(), "interrupted: 0 of 1000 ports of 198.51.100.2 scanned in ") || p.stderr.String() != "" {
					t.Errorf("stdout %q, stderr %q: want the interrupted summary", p.stdout.String(), p.stderr.String())
				}
			},
		},
		{
			name: "igmp join",
			args: []string{"igmp", "join", "239.1.2.3", "-I", "eth0"},
			busy: func(t *testing.T, p *sigProc) {
				waitUntil(t, "the join", func() bool { return strings.Contains(p.stdout.String(), "joined 239.1.2.3 on eth0") })
			},
			status: exitZero,
			check: func(t *testing.T, p *sigProc, _ string) {
				if !strings.HasSuffix(p.stdout.String(), "\nleft 239.1.2.3 on eth0\n") {
					t.Errorf("stdout %q: want it to say it left", p.stdout.String())
				}
				if table := a.MustRun("cat", "/proc/net/igmp"); strings.Contains(table, "030201EF") {
					t.Errorf("the kernel still holds 239.1.2.3:\n%s", table)
				}
			},
		},
	}
	for _, c := range cases {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(c.name+"/"+sig.String(), func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "out")
				args := make([]string, len(c.args))
				for i, arg := range c.args {
					args[i] = strings.Replace(arg, "FILE", file, 1)
					if args[i] != arg {
						file = args[i]
					}
				}
				pings = inEchos()
				dropsBefore = dropped(t, b)
				p := &sigProc{cmd: a.Command(bin, args...)}
				p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
				a.Start(p.cmd)
				c.busy(t, p)
				syscall.Kill(binaryPID(t, p.cmd), sig)
				p.cmd.Wait()
				if got, want := p.cmd.ProcessState.ExitCode(), c.status(sig); got != want {
					t.Errorf("exit status %d, want %d; stderr %q", got, want, p.stderr.String())
				}
				c.check(t, p, file)
			})
		}
	}
}

// TestSignalKillPacketBuffered: with -U a pcapng capture killed outright
// (SIGKILL, no chance to flush) is readable up to its last packet.
// TestSniffStops does the same for pcap.
func TestSignalKillPacketBuffered(t *testing.T) {
	tshark := netlab.RequireTool(t, "tshark")
	a, b := netlab.Pair(t)
	bin := netlab.Binary(t)
	file := filepath.Join(t.TempDir(), "kill.pcapng")
	cmd, _, _ := startSniff(t, b, "-i", "eth0", "-U", "-w", file, "icmp")
	a.MustRun("ping", "-c", "3", "-i", "0.2", "198.51.100.2")
	waitUntil(t, "six packets in the file", func() bool { return len(withoutTimes(labRead(t, bin, file))) == 6 })
	syscall.Kill(binaryPID(t, cmd), syscall.SIGKILL)
	cmd.Wait()
	if n := tsharkCount(t, tshark, file); n != 6 {
		t.Errorf("tshark reads %d packets after SIGKILL, want 6", n)
	}
}

// tsharkCount is the number of packets tshark reads in file; it fails t
// when tshark finds the file damaged or cut short.
func tsharkCount(t *testing.T, tshark, file string) int {
	t.Helper()
	cmd := exec.Command(tshark, "-n", "-r", file, "-T", "fields", "-e", "frame.number")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(stderr.String()) != "" && !strings.Contains(stderr.String(), "Running as user") {
		t.Fatalf("tshark -r %s: %v: %s", file, err, stderr.String())
	}
	return len(strings.Fields(string(out)))
}

// binaryPID is the pid of the rawsock that cmd (ip netns exec …) runs:
// cmd's own when ip has exec'd it, else its child's.
func binaryPID(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	pid := cmd.Process.Pid
	for range 100 {
		if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); strings.TrimSpace(string(comm)) == "rawsock" {
			return pid
		}
		children, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
		if f := strings.Fields(string(children)); len(f) == 1 {
			if c, _ := strconv.Atoi(f[0]); c > 0 {
				if comm, _ := os.ReadFile("/proc/" + f[0] + "/comm"); strings.TrimSpace(string(comm)) == "rawsock" {
					return c
				}
			}
		}
		time.Sleep(20 * time.Millisecond) // ip has not exec'd yet
	}
	t.Fatalf("no rawsock process under pid %d", pid)
	return 0
}

// stallingWire takes room packets, then stalls as a raw socket with a full
// buffer does, and the signal comes while it waits: it cancels the
// command's context and returns the context's error.
type stallingWire struct {
	room   int
	cancel context.CancelFunc
}

func (w *stallingWire) send(ctx context.Context, p []byte, first gopacket.LayerType) error {
	_, err := w.sendBatch(ctx, [][]byte{p}, first)
	return err
}

func (w *stallingWire) sendBatch(ctx context.Context, ps [][]byte, _ gopacket.LayerType) (int, error) {
	n := min(len(ps), w.room)
	if n == 0 {
		w.cancel()
		<-ctx.Done()
		return 0, ctx.Err()
	}
	w.room -= n
	return n, nil
}

func (w *stallingWire) recv(ctx context.Context, _ []byte) (int, time.Time, gopacket.LayerType, error) {
	<-ctx.Done()
	return 0, time.Time{}, 0, ctx.Err()
}

func (w *stallingWire) close() error { return nil }

// TestSendInterruptedCount: a signal that ends send while the socket
// stalls leaves the count printed and the file in agreement with what
// went: no packet counted that never left, none sent but left out of the
// file.
func TestSendInterruptedCount(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		room int // packets the wire takes before it stalls
		want string
	}{
		{"paced", []string{"-c", "100", "--rate", "100000"}, 5, "sent 5 packets\n"},
		// Two batches: 64 packets, then 10 of the next 64 before the stall.
		{"flood", []string{"--flood", "-c", "1000"}, 74, "sent 74 packets in "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			old := openWire
			openWire = func(string, string, bool) (wire, error) { return &stallingWire{room: tt.room, cancel: cancel}, nil }
			defer func() { openWire = old }()
			file := filepath.Join(t.TempDir(), "sent.pcap")
			args := append(append([]string{"send"}, tt.args...), "-w", file, "ip(src=198.51.100.2, dst=203.0.113.2)/udp(dport=9)")
			var stdout, stderr bytes.Buffer
			if code := run(ctx, args, strings.NewReader(""), &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), tt.want) {
				t.Errorf("status %d, stdout %q, stderr %q; want 0 and %q", code, stdout.String(), stderr.String(), tt.want)
			}
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := capture.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for ; ; n++ {
				if _, _, err := r.ReadPacket(); err != nil {
					break
				}
			}
			if n != tt.room {
				t.Errorf("the file holds %d packets, want the %d that went", n, tt.room)
			}
		})
	}
}
