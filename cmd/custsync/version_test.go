package main

import (
	"bufio"
	"context"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/buildinfo"
)

func TestVersionPrintsTheBuild(t *testing.T) {
	t.Parallel()
	released := buildinfo.Info{Version: "v1.2.3", GoVersion: "go1.27.3", Platform: "linux/amd64",
		Revision: "5a6b7e2c0ffee5a6b7e2c0ffee5a6b7e2c0ffee5", Time: "2026-12-01T12:00:00Z", Modified: true}
	fromClone := buildinfo.Info{Version: "devel", GoVersion: "go1.26.8", Platform: "darwin/arm64"}

	tests := []struct {
		name string
		args []string
		info buildinfo.Info
		want string
	}{
		{
			name: "version names the release, the toolchain and the commit",
			args: []string{"version"},
			info: released,
			want: "custsync v1.2.3 (go1.27.3 linux/amd64)\n" +
				"  revision  5a6b7e2c0ffee5a6b7e2c0ffee5a6b7e2c0ffee5\n" +
				"  time      2026-12-01T12:00:00Z\n" +
				"  modified  true\n",
		},
		{
			name: "--version prints the same",
			args: []string{"--version"},
			info: released,
			want: "custsync v1.2.3 (go1.27.3 linux/amd64)\n" +
				"  revision  5a6b7e2c0ffee5a6b7e2c0ffee5a6b7e2c0ffee5\n" +
				"  time      2026-12-01T12:00:00Z\n" +
				"  modified  true\n",
		},
		{
			name: "a build without a commit prints one line",
			args: []string{"-version"},
			info: fromClone,
			want: "custsync devel (go1.26.8 darwin/arm64)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut strings.Builder
			a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, buildInfo: &tt.info}
			assert.Equal(t, exitOK, a.run(tt.args))
			assert.Equal(t, tt.want, out.String())
			assert.Empty(t, errOut.String())
		})
	}

	t.Run("the help lists the version command", func(t *testing.T) {
		t.Parallel()
		code, stdout, _ := runInProcess("--help")
		assert.Equal(t, exitOK, code)
		assert.Contains(t, stdout, "\n  version   print custsync's version")
	})

	t.Run("version takes no argument", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runInProcess("version", "--short")
		assert.Equal(t, exitUsage, code)
		assert.Empty(t, stdout)
		assert.Equal(t, "custsync version: unknown flag --short\nRun \"custsync version --help\" for usage.\n", stderr)
	})
}

// The binary's version is what the Go toolchain stamped into it, as
// "go version -m" reads it.
func TestTheBinarysVersionIsItsBuildInfo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stamped, err := exec.CommandContext(ctx, "go", "version", "-m", binary).Output()
	require.NoError(t, err)
	version, revision := "", ""
	for sc := bufio.NewScanner(strings.NewReader(string(stamped))); sc.Scan(); {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && f[0] == "mod" && f[1] == buildinfo.ModulePath:
			version = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			revision = strings.TrimPrefix(f[1], "vcs.revision=")
		}
	}
	require.NotEmpty(t, version, "go version -m names custsync's module:\n%s", stamped)
	if version == "(devel)" {
		version = "devel"
	}

	for _, args := range [][]string{{"version"}, {"--version"}} {
		out := runBinary(t, invocation{args: args})
		require.Equal(t, exitOK, out.code)
		lines := strings.Split(strings.TrimSuffix(out.stdout, "\n"), "\n")
		assert.Equal(t, "custsync "+version+" ("+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+")", lines[0])
		if revision != "" {
			assert.Contains(t, out.stdout, "\n  revision  "+revision+"\n")
		} else {
			assert.Len(t, lines, 1, "no commit was stamped, so none is printed")
		}
	}
}
