package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// runCLI runs rawsock in-process and returns its exit status and output.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLIBasics(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring expected on stdout
		stderrLine string // substring expected on stderr; stderr must be one line
	}{
		{"no args", nil, 2, "", ""},
		{"help", []string{"help"}, 0, "Commands:", ""},
		{"--help", []string{"--help"}, 0, "Commands:", ""},
		{"help version", []string{"help", "version"}, 0, "Usage: rawsock version", ""},
		{"help unknown", []string{"help", "nope"}, 2, "", `unknown command "nope"`},
		{"version", []string{"version"}, 0, "rawsock " + version, ""},
		{"--version", []string{"--version"}, 0, "rawsock " + version, ""},
		{"version --help", []string{"version", "--help"}, 0, "Usage: rawsock version", ""},
		{"version extra arg", []string{"version", "x"}, 2, "", "rawsock: version: takes no arguments"},
		{"version bad flag", []string{"version", "--bogus"}, 2, "", "rawsock: version: unknown flag: --bogus: see 'rawsock version --help'"},
		{"unknown command", []string{"frobnicate"}, 2, "", `rawsock: unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit status: got %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout: got %q, want it to contain %q", stdout, tt.stdout)
			}
			if tt.stderrLine != "" {
				if !strings.Contains(stderr, tt.stderrLine) {
					t.Errorf("stderr: got %q, want it to contain %q", stderr, tt.stderrLine)
				}
				if strings.Count(stderr, "\n") != 1 {
					t.Errorf("stderr: got %q, want exactly one line", stderr)
				}
			}
		})
	}
}

// Every registered command answers --help with its usage on stdout and
// status 0, and says what it is in "rawsock help".
func TestEveryCommandHasHelp(t *testing.T) {
	_, list, _ := runCLI(t, "", "help")
	for name, c := range commands {
		if name != c.name {
			continue
		}
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", name, "--help")
			if code != 0 || stderr != "" {
				t.Fatalf("got status %d, stderr %q; want 0 and nothing", code, stderr)
			}
			if !strings.HasPrefix(stdout, "Usage: rawsock "+name) {
				t.Errorf("help starts %q, want the usage line", firstLine(stdout))
			}
			if c.summary == "" || !strings.Contains(list, c.summary) {
				t.Errorf("summary %q missing from 'rawsock help'", c.summary)
			}
		})
	}
}

func TestExitStatus(t *testing.T) {
	e := &env{stderr: &bytes.Buffer{}, cmd: "test"}
	tests := []struct {
		err  error
		code int
		msg  string
	}{
		{nil, 0, ""},
		{usagef("bad count %q", "x"), 2, `rawsock: test: bad count "x"`},
		{needPrivilege(os.NewSyscallError("socket", syscall.EPERM), "CAP_NET_RAW"), 2, "needs CAP_NET_RAW: run as root or: sudo setcap cap_net_raw,cap_net_admin+ep"},
		{needPrivilege(syscall.ECONNREFUSED, "CAP_NET_RAW"), 1, "connection refused"},
		{fmt.Errorf("wrapped: %w", usagef("inner")), 2, "wrapped: inner"},
		{exitStatus(1), 1, ""},
		{context.Canceled, 0, ""},
		{errors.New("no reply"), 1, "rawsock: test: no reply"},
	}
	for _, tt := range tests {
		buf := e.stderr.(*bytes.Buffer)
		buf.Reset()
		if got := e.exit(tt.err); got != tt.code {
			t.Errorf("%v: got status %d, want %d", tt.err, got, tt.code)
		}
		if !strings.Contains(buf.String(), tt.msg) || (tt.msg == "" && buf.Len() != 0) {
			t.Errorf("%v: got message %q, want %q", tt.err, buf.String(), tt.msg)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
