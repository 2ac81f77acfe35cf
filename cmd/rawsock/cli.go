package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/pflag"
)

// version is stamped at build time: -ldflags "-X main.version=…".
var version = "dev"

// A command is one rawsock subcommand. Each lives in a file of its own and
// registers itself from init, so adding a command touches no shared file.
type command struct {
	name    string
	aliases []string
	// synopsis is the usage line after "rawsock", e.g. "send [flags] EXPR".
	synopsis string
	// summary is the one line shown by "rawsock help".
	summary string
	// help is the longer text shown by --help after the synopsis: what the
	// command does and a few examples.
	help string
	// flags declares the command's flags on fs and returns the function that
	// runs the command once they are parsed.
	setup func(fs *pflag.FlagSet) func(e *env, args []string) error
}

var commands = map[string]*command{}

func register(c *command) {
	for _, name := range append([]string{c.name}, c.aliases...) {
		if _, dup := commands[name]; dup {
			panic("rawsock: command registered twice: " + name)
		}
		commands[name] = c
	}
}

// env is what a command sees of the process: its context (cancelled by
// SIGINT and SIGTERM), its standard streams and its name.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	cmd    string
}

// warnf prints one "rawsock: CMD: …" line on stderr and goes on.
func (e *env) warnf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "rawsock: %s: %s\n", e.cmd, fmt.Sprintf(format, args...))
}

// run is the whole program: main only adds the process around it, so tests
// call run in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printCommands(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		if len(args) > 1 && name == "help" {
			c, ok := commands[args[1]]
			if !ok {
				fmt.Fprintf(stderr, "rawsock: help: unknown command %q: run 'rawsock help' for the list\n", args[1])
				return 2
			}
			fs := newFlagSet(c)
			c.setup(fs)
			printUsage(stdout, c, fs)
			return 0
		}
		printCommands(stdout)
		return 0
	case "-V", "--version":
		name = "version"
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "rawsock: unknown command %q: run 'rawsock help' for the list\n", name)
		return 2
	}
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, cmd: c.name}
	fs := newFlagSet(c)
	do := c.setup(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printUsage(stdout, c, fs)
			return 0
		}
		e.warnf("%v: see 'rawsock %s --help'", err, c.name)
		return 2
	}
	return e.exit(do(e, fs.Args()))
}

// exit turns a command's error into its exit status, printing the error as
// one line: 0 on success, 1 when the operation failed, 2 for a usage or
// permission error.
func (e *env) exit(err error) int {
	if err == nil {
		return 0
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	if errors.Is(err, context.Canceled) {
		return 0
	}
	e.warnf("%v", err)
	var ue *usageError
	var pe *privilegeError
	if errors.As(err, &ue) || errors.As(err, &pe) {
		return 2
	}
	return 1
}

func newFlagSet(c *command) *pflag.FlagSet {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.SetInterspersed(true)
	return fs
}

func printUsage(w io.Writer, c *command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: rawsock %s\n", c.synopsis)
	if len(c.aliases) > 0 {
		fmt.Fprintf(w, "Alias: rawsock %s\n", strings.Join(c.aliases, ", "))
	}
	fmt.Fprintf(w, "\n%s\n", c.summary)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
	}
	fmt.Fprintf(w, "  -h, --help%sshow this help\n", strings.Repeat(" ", 10))
}

func printCommands(w io.Writer) {
	fmt.Fprintf(w, "rawsock %s: raw packets and sockets for Linux\n\nUsage: rawsock COMMAND [flags] [args]\n\nCommands:\n", version)
	var names []string
	for name, c := range commands {
		if name == c.name {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, name := range names {
		fmt.Fprintf(tw, "  %s\t%s\n", name, commands[name].summary)
	}
	fmt.Fprintf(tw, "  %s\t%s\n", "help", "list the commands, or show the help of one: rawsock help COMMAND")
	tw.Flush()
	fmt.Fprintf(w, "\nRun 'rawsock COMMAND --help' for the flags of one command.\n")
}

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// privilegeError says which capability an operation lacked and how to grant
// it; it exits with status 2.
type privilegeError struct {
	capability string
	err        error
}

func (e *privilegeError) Error() string {
	caps := "cap_net_raw,cap_net_admin"
	if e.capability != "CAP_NET_RAW" && e.capability != "CAP_NET_ADMIN" {
		caps = strings.ToLower(e.capability)
	}
	return fmt.Sprintf("%v: needs %s: run as root or: sudo setcap %s+ep %s",
		e.err, e.capability, caps, selfPath())
}

func (e *privilegeError) Unwrap() error { return e.err }

// needPrivilege wraps err in a privilegeError naming capability when the
// kernel refused for lack of privilege, and returns it unchanged otherwise.
func needPrivilege(err error, capability string) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return &privilegeError{capability: capability, err: err}
	}
	return err
}

func selfPath() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "$(which rawsock)"
}

// exitStatus ends a command with a status and no message: the command has
// already said what happened (ping's statistics, say).
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

func init() {
	register(&command{
		name:     "version",
		synopsis: "version",
		summary:  "print rawsock's version",
		setup: func(fs *pflag.FlagSet) func(*env, []string) error {
			return func(e *env, args []string) error {
				if len(args) > 0 {
					return usagef("takes no arguments")
				}
				fmt.Fprintf(e.stdout, "rawsock %s\n", version)
				return nil
			}
		},
	})
}
