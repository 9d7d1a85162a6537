package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/custsync/custsync/internal/buildinfo"
)

// Exit codes, the same for every command.
const (
	exitOK     = 0 // everything succeeded
	exitFailed = 1 // the update, or at least one pushed record, failed
	exitUsage  = 2 // bad usage or invalid input to update: nothing was sent
	// exitIncomplete: push did not try every record (it halted, reached
	// its deadline, was interrupted, or could not read all its input).
	exitIncomplete = 3
	// exitRefused: push sent nothing, since --max-changes or --max-clears
	// refused what it would send (a dry run: what a push would send).
	exitRefused = 4
	// exitNothing: the state store holds nothing of what was asked: runs
	// found no run, explain nothing of the customer.
	exitNothing = 5
	programName = "custsync"
)

// app is one invocation of the command: its streams and its interrupts.
// main wires it to the process; tests build their own and run commands
// in-process.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// stop ends at the first interrupt: start no further work. abort ends
	// at the second: abandon work in flight. abort ending implies stop.
	stop, abort context.Context
	// stderrTTY selects push's progress bar over periodic progress lines.
	stderrTTY bool
	// progressEvery is the period of push's plain progress lines
	// (default 5s); tests shorten it.
	progressEvery time.Duration
	// buildInfo replaces the binary's own build information in the
	// version command; tests set it.
	buildInfo *buildinfo.Info
}

type command struct {
	name, summary string
	run           func(a *app, args []string) int
}

// commands are listed in the order the top-level usage shows them.
var commands = []command{
	{"update", "update one customer from a JSON object", (*app).update},
	{"push", "push a JSONL file of customers, one per line", (*app).push},
	{"check", "check the credentials and base URL with a request that writes nothing", (*app).check},
	{"runs", "list the pushes a state store recorded, or a queue's runs, newest first", (*app).runs},
	{"explain", "show what a state store knows of one customer", (*app).explain},
	{"migrate", "create or update a queue's tables in PostgreSQL, for enqueue and worker", (*app).migrate},
	{"enqueue", "enqueue a push for workers on many machines to work; --wait for its summary", (*app).enqueue},
	{"worker", "work the runs of a queue, with the credentials of this machine", (*app).worker},
	{"sandbox", "serve fake vendors locally, with demo credentials", (*app).sandbox},
	{"vendors", "print which fields each vendor stores", (*app).vendors},
	{"version", "print custsync's version and build (also --version)", (*app).version},
}

const mainUsage = `custsync updates customer records at Upwell, BlueTape and Billbee.

Usage:
  custsync <command> [flags]

Commands:
%s
Run "custsync <command> --help" for a command's flags and examples.

Credentials come only from the environment:
  upwell    UPWELL_API_KEY, and optionally UPWELL_SOURCE_SYSTEM (the default sourceSystem)
  bluetape  BLUETAPE_API_KEY, BLUETAPE_ACCOUNT_ID
  billbee   BILLBEE_API_KEY, BILLBEE_USERNAME, BILLBEE_API_PASSWORD
With --sandbox, update, push and check run against an in-process sandbox
with its demo credentials instead, and need none.

Processes sharing a credential share its rate limits through Redis with
--rate-limit redis://HOST:PORT/DB on update and push, or CUSTSYNC_RATE_LIMIT.

migrate, enqueue and worker spread a push over worker processes on many
machines through a queue in PostgreSQL (--queue URL, or CUSTSYNC_QUEUE):
enqueue splits the input into shards, workers send them with the
credentials of their own machine, and "custsync runs --queue" shows the runs.

Traces and metrics go to an OpenTelemetry backend over OTLP/HTTP when
OTEL_EXPORTER_OTLP_ENDPOINT (or the _TRACES_ or _METRICS_ one) is set; the
other OTEL_* variables apply as the OpenTelemetry SDK reads them. Without
one, nothing is exported. They carry no credential and no customer data.

Exit status: 0 if everything succeeded, 1 if the update or any pushed record
failed (for explain: the customer's last update failed, or is unconfirmed),
2 for bad usage or invalid input to update (nothing was sent), 3 if push did
not try every record (it halted, reached its --deadline or was interrupted),
4 if push sent nothing because --max-changes or --max-clears refused it, 5
if the state store or queue holds nothing of what runs or explain asked
for. enqueue --wait exits as push would have for its run (3 too when an
interrupt stopped the waiting); worker exits 0 once an interrupt stopped
it, 3 when a second one abandoned records in flight.

Example:
  custsync push --sandbox --vendor billbee --file examples/customers.jsonl
`

func printMainUsage(w io.Writer) {
	var list strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&list, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, list.String())
}

// run executes the command line args (without the program name) and
// returns the exit code.
func (a *app) run(args []string) int {
	if a.stop == nil {
		a.stop = context.Background()
	}
	if a.abort == nil {
		a.abort = context.Background()
	}
	if a.progressEvery <= 0 {
		a.progressEvery = 5 * time.Second
	}
	if len(args) == 0 {
		printMainUsage(a.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(rest) > 0 {
			// "custsync help push" is "custsync push --help".
			return a.run([]string{rest[0], "--help"})
		}
		printMainUsage(a.stdout)
		return exitOK
	case "-version", "--version":
		return a.version(rest)
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(a, rest)
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	fmt.Fprintf(a.stderr, "custsync: unknown command %q%s\n", name, suggestion(name, names, func(s string) string { return fmt.Sprintf("%q", s) }))
	fmt.Fprintf(a.stderr, "Commands: %s. Run \"custsync --help\" for usage.\n", strings.Join(names, ", "))
	return exitUsage
}

// usageError is a mistake in how the command was called (a flag, a missing
// credential, an unreadable input file): exit code 2, nothing sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// fail reports err for command cmd on stderr and returns its exit code:
// exitUsage for a usageError, exitFailed otherwise.
func (a *app) fail(cmd string, err error) int {
	fmt.Fprintf(a.stderr, "custsync %s: %v\n", cmd, err)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(a.stderr, "Run \"custsync %s --help\" for usage.\n", cmd)
		return exitUsage
	}
	return exitFailed
}

// newFlagSet returns a FlagSet for cmd whose usage is the text usage (a
// synopsis, a description and examples) with the flags inserted where
// usage has the line "%flags%" (a command without flags leaves it out).
func newFlagSet(cmd, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(programName+" "+cmd, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		head, tail, hasFlags := strings.Cut(usage, "%flags%\n")
		fmt.Fprint(w, head)
		if hasFlags {
			printFlags(w, fs)
		}
		fmt.Fprint(w, tail)
	}
	return fs
}

// printFlags lists fs's flags as users type them: "--name VALUE", the
// description indented below, then the default when it is not the zero
// value. (flag.PrintDefaults writes single dashes.)
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		if name == "value" || name == "string" || name == "int" {
			name = strings.ToUpper(f.Name)
		}
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintln(w, line)
		for _, l := range strings.Split(usage, "\n") {
			fmt.Fprintf(w, "        %s\n", l)
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			fmt.Fprintf(w, "        (default %s)\n", f.DefValue)
		}
	})
	fmt.Fprintln(w)
}

// parse parses args into fs. done is true when the command should end
// at once with code: after --help (usage on stdout, exit 0) or a flag
// error (the error and a pointer to --help on stderr, exit 2). Positional arguments are refused: every
// input is named by a flag.
func (a *app) parse(fs *flag.FlagSet, args []string) (code int, done bool) {
	_, code, done = a.parseArgs(fs, args, 0)
	return code, done
}

// parseArgs is parse for a command that takes up to maxArgs positional
// arguments (explain's customer id), which it returns. They may stand
// before, between or after the flags; after "--", everything is one.
func (a *app) parseArgs(fs *flag.FlagSet, args []string, maxArgs int) (positional []string, code int, done bool) {
	fs.SetOutput(io.Discard)
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fs.SetOutput(a.stdout)
			fs.Usage()
			return nil, exitOK, true
		case err != nil:
			fmt.Fprintf(a.stderr, "%s: %s\n", fs.Name(), flagMistake(fs, err))
			fmt.Fprintf(a.stderr, "Run \"%s --help\" for usage.\n", fs.Name())
			return nil, exitUsage, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if ended := len(args) - len(rest) - 1; ended >= 0 && args[ended] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	if len(positional) > maxArgs {
		what := "inputs are named by flags, such as --file"
		if maxArgs > 0 {
			what = fmt.Sprintf("%s takes at most %d %s", fs.Name(), maxArgs, plural(maxArgs, "argument", "arguments"))
		}
		fmt.Fprintf(a.stderr, "%s: unexpected argument %q (%s)\n", fs.Name(), positional[maxArgs], what)
		fmt.Fprintf(a.stderr, "Run \"%s --help\" for usage.\n", fs.Name())
		return nil, exitUsage, true
	}
	fs.SetOutput(a.stderr)
	return positional, 0, false
}
