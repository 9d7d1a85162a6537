package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func runInProcess(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	code = a.run(args)
	return code, out.String(), errOut.String()
}

func TestRunRoutesCommands(t *testing.T) {
	t.Parallel()

	t.Run("help for a command is that command's usage", func(t *testing.T) {
		t.Parallel()
		code, stdout, _ := runInProcess("help", "sandbox")
		assert.Equal(t, exitOK, code)
		assert.True(t, strings.HasPrefix(stdout, "Usage: custsync sandbox"), stdout)
		assert.Contains(t, stdout, "  --addr HOST:PORT\n")
	})

	t.Run("an unknown command is named, with the one meant and the commands, in two lines", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runInProcess("pusj")
		assert.Equal(t, exitUsage, code)
		assert.Empty(t, stdout)
		assert.Equal(t, "custsync: unknown command \"pusj\"; did you mean \"push\"?\n"+
			"Commands: update, push, check, runs, explain, migrate, enqueue, worker, sandbox, vendors, version. Run \"custsync --help\" for usage.\n", stderr)
	})

	flagMistakes := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown flag is named as typed, with the flag meant", []string{"push", "--fiel", "x.jsonl"},
			"custsync push: unknown flag --fiel; did you mean --file?\n"},
		{"an unknown flag with no close one is named alone", []string{"update", "--records", "3"},
			"custsync update: unknown flag --records\n"},
		{"a bad duration says what a duration looks like", []string{"push", "--deadline", "2"},
			"custsync push: --deadline \"2\": not a valid value; want a duration such as 90m, 1h30m or 45s\n"},
		{"a bad count says a whole number is wanted", []string{"push", "--concurrency", "many"},
			"custsync push: --concurrency \"many\": not a valid value; want a whole number\n"},
		{"a flag without its value says it needs one", []string{"push", "--file"},
			"custsync push: --file needs a value\n"},
		{"a positional argument is refused", []string{"push", "x.jsonl"},
			"custsync push: unexpected argument \"x.jsonl\" (inputs are named by flags, such as --file)\n"},
	}
	for _, tt := range flagMistakes {
		t.Run(tt.name+", then points at --help, without the usage", func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runInProcess(tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			assert.Equal(t, tt.want+"Run \"custsync "+tt.args[0]+" --help\" for usage.\n", stderr)
		})
	}
}

func TestPushAgainQuotesForTheShell(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "custsync push --vendor upwell --base-url https://api.upwell.com --lenient --file out/x.failures.jsonl",
		pushAgain(targetFlags{vendor: "upwell", baseURL: "https://api.upwell.com", lenient: true}, "", "out/x.failures.jsonl", false))
	assert.Equal(t, `custsync push --vendor billbee --sandbox --file 'it'\''s here.jsonl'`,
		pushAgain(targetFlags{vendor: "billbee", sandbox: true}, "", "it's here.jsonl", false))
	assert.Equal(t, "custsync push --vendor billbee --strict --state nightly.db --rate-limit redis://:xxxxx@10.0.0.5:6379/0 --file f.jsonl",
		pushAgain(targetFlags{vendor: "billbee", strict: true, rateLimit: "redis://:hunter2@10.0.0.5:6379/0"}, "nightly.db", "f.jsonl", false),
		"the flags that shaped the run go again, with no password")
	assert.Equal(t, "custsync push --vendor billbee --sandbox --state postgres://sync:xxxxx@db/state --dry-run --file export.jsonl",
		pushAgain(targetFlags{vendor: "billbee", sandbox: true}, "postgres://sync:pw@db/state", "export.jsonl", true),
		"a dry run's goes as a dry run")
}

// TestAMistypedFlagGetsTwoLinesAndTheFlagMeant runs the built binary as
// a user would, mistyping --file.
func TestAMistypedFlagGetsTwoLinesAndTheFlagMeant(t *testing.T) {
	t.Parallel()
	out := runBinary(t, invocation{args: []string{"push", "--vendor", "billbee", "--fiel", "export.jsonl"}})
	assert.Equal(t, exitUsage, out.code)
	assert.Empty(t, out.stdout)
	assert.LessOrEqual(t, strings.Count(out.stderr, "\n"), 3, out.stderr)
	assert.Contains(t, out.stderr, "did you mean --file?")
}
