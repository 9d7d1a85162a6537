package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRunsAndExplainRefuseMistakesBeforeOpeningAnything(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"explain without an id", []string{"explain", "--vendor", "billbee", "--state", "s.db"},
			"custsync explain: the customer's id is required: custsync explain --vendor V ID\n"},
		{"explain with two ids", []string{"explain", "1", "--vendor", "billbee", "2"},
			"custsync explain: unexpected argument \"2\" (custsync explain takes at most 1 argument)\n"},
		{"explain with a source system for a vendor without one", []string{"explain", "--vendor", "billbee", "--source-system", "ACME", "1"},
			"custsync explain: --source-system is Upwell's: billbee keys customers by id alone\n"},
		{"explain without a vendor", []string{"explain", "1"},
			"custsync explain: --vendor is required (upwell, bluetape, billbee)\n"},
		{"runs with a negative limit", []string{"runs", "--limit", "-1"},
			"custsync runs: --limit -1: want 0 or more\n"},
		{"runs with a misspelt vendor", []string{"runs", "--vendor", "bluetap"},
			"custsync runs: unknown vendor \"bluetap\" (want one of upwell, bluetape, billbee); did you mean \"bluetape\"?\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runInProcess(tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			assert.Equal(t, tt.want+"Run \"custsync "+tt.args[0]+" --help\" for usage.\n", stderr)
		})
	}
}

func TestExplainTakesItsIDBeforeBetweenOrAfterTheFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"explain", "--vendor", "billbee", "C-1"},
		{"explain", "C-1", "--vendor", "billbee"},
		{"explain", "--vendor", "billbee", "--", "C-1"},
	} {
		// No credentials: explain stops there, having taken the id.
		code, _, stderr := runInProcess(args...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Contains(t, stderr, "BILLBEE_API_KEY", "%v", args)
	}
	code, _, stderr := runInProcess("explain", "--vendor", "billbee", "--", "-5")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "BILLBEE_API_KEY", "after --, an id may start with a dash")
}
