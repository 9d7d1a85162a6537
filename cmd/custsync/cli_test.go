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

	t.Run("an unknown command lists the commands on stderr", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runInProcess("pull")
		assert.Equal(t, exitUsage, code)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, `unknown command "pull"`)
		for _, c := range commands {
			assert.Contains(t, stderr, "  "+c.name+" ")
		}
	})

	t.Run("a flag error shows the usage on stderr", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runInProcess("push", "--concurrency", "many")
		assert.Equal(t, exitUsage, code)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "invalid value")
		assert.Contains(t, stderr, "Usage: custsync push")
	})
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
