package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/custsync/custsync/specs"
)

// The flags that map to library options are checked by the command
// itself, so a bad value gets the command's message, naming the flag, and
// exit 2, never the library's InvalidArgument naming its option.
func TestABadFlagValueGetsTheCommandsOwnMessage(t *testing.T) {
	for k, v := range demoEnv(specs.Upwell) {
		t.Setenv(k, v)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a concurrency of 0 is out of range", []string{"push", "--vendor", "upwell", "--file", "-", "--concurrency", "0"}, "--concurrency 0 is out of range 1..256"},
		{"a concurrency above the command's bound is out of range", []string{"push", "--vendor", "upwell", "--file", "-", "--concurrency", "257"}, "--concurrency 257 is out of range 1..256"},
		{"no record attempts is out of range", []string{"push", "--vendor", "upwell", "--file", "-", "--record-attempts", "0"}, "--record-attempts 0 is out of range 1..20"},
		{"a negative halt-after is refused", []string{"push", "--vendor", "upwell", "--file", "-", "--halt-after", "-1"}, "--halt-after -1: want 0 or more"},
		{"a negative deadline is refused", []string{"push", "--vendor", "upwell", "--file", "-", "--deadline", "-1s"}, "--deadline -1s: want a positive duration"},
		{"a negative refresh-after is refused", []string{"push", "--vendor", "upwell", "--file", "-", "--state", "x.db", "--refresh-after", "-1h"}, "--refresh-after -1h0m0s: want a positive duration"},
		{"a base URL in plain http to a remote host is refused", []string{"update", "--vendor", "upwell", "--base-url", "http://example.com"}, "--base-url: plain http is refused for example.com"},
		{"a base URL with a password is refused without showing it", []string{"update", "--vendor", "upwell", "--base-url", "https://u:hunter2@example.com"}, "--base-url: must not carry credentials"},
		{"a rate limit URL that is not Redis is refused", []string{"push", "--vendor", "upwell", "--file", "-", "--rate-limit", "ftp://example.com"}, `--rate-limit: rate limiter URL: scheme "ftp" is not redis`},
		{"a negative sandbox population is refused", []string{"sandbox", "--synthetic", "-1"}, "--synthetic -1: want 0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runInProcess(tt.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.want)
			assert.Contains(t, stderr, "--help\" for usage")
			assert.NotContains(t, stderr, "InvalidArgument", "the library's code is not the command's message")
			assert.NotContains(t, stderr, "With", "nor the library's option names")
			assert.NotContains(t, stderr, "hunter2")
		})
	}
}
