package buildinfo_test

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/custsync/custsync/internal/buildinfo"
)

func TestTheVersionComesFromTheBuildInfo(t *testing.T) {
	t.Parallel()
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "5a6b7e2c0ffee"},
		{Key: "vcs.time", Value: "2026-12-01T12:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want buildinfo.Info
	}{
		{
			name: "the command installed with go install @version reports the main module's version and checkout",
			bi:   &debug.BuildInfo{Main: debug.Module{Path: buildinfo.ModulePath, Version: "v1.2.3"}, Settings: vcs},
			want: buildinfo.Info{Version: "v1.2.3", Revision: "5a6b7e2c0ffee", Time: "2026-12-01T12:00:00Z", Modified: true},
		},
		{
			name: "the command built in a clone is devel",
			bi:   &debug.BuildInfo{Main: debug.Module{Path: buildinfo.ModulePath, Version: "(devel)"}},
			want: buildinfo.Info{Version: "devel"},
		},
		{
			name: "a clean checkout is not modified",
			bi: &debug.BuildInfo{Main: debug.Module{Path: buildinfo.ModulePath, Version: "(devel)"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}},
			want: buildinfo.Info{Version: "devel", Revision: "abc"},
		},
		{
			name: "a library in another program reports custsync's dependency version, not the program's",
			bi: &debug.BuildInfo{
				Main: debug.Module{Path: "example.com/erp-sync", Version: "v0.9.0"},
				Deps: []*debug.Module{
					{Path: "golang.org/x/time", Version: "v0.16.0"},
					{Path: buildinfo.ModulePath, Version: "v1.4.0"},
				},
				Settings: vcs,
			},
			want: buildinfo.Info{Version: "v1.4.0"}, // the program's checkout is not custsync's
		},
		{
			name: "a dependency replaced by another version reports the replacement",
			bi: &debug.BuildInfo{
				Main: debug.Module{Path: "example.com/erp-sync"},
				Deps: []*debug.Module{{Path: buildinfo.ModulePath, Version: "v1.4.0",
					Replace: &debug.Module{Path: "example.com/fork/custsync", Version: "v1.4.1-fix"}}},
			},
			want: buildinfo.Info{Version: "v1.4.1-fix"},
		},
		{
			name: "a dependency replaced by a directory is devel",
			bi: &debug.BuildInfo{
				Main: debug.Module{Path: "example.com/erp-sync"},
				Deps: []*debug.Module{{Path: buildinfo.ModulePath, Version: "v1.4.0",
					Replace: &debug.Module{Path: "../custsync"}}},
			},
			want: buildinfo.Info{Version: "devel"},
		},
		{
			name: "a program without custsync in its build info is devel",
			bi:   &debug.BuildInfo{Main: debug.Module{Path: "example.com/other", Version: "v2.0.0"}},
			want: buildinfo.Info{Version: "devel"},
		},
		{
			name: "a binary without build info is devel",
			bi:   nil,
			want: buildinfo.Info{Version: "devel"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.want.GoVersion = runtime.Version()
			tt.want.Platform = runtime.GOOS + "/" + runtime.GOARCH
			assert.Equal(t, tt.want, buildinfo.FromBuildInfo(tt.bi))
		})
	}
}

func TestTheVersionLineNamesVersionGoAndPlatform(t *testing.T) {
	t.Parallel()
	i := buildinfo.Info{Version: "v1.2.3", GoVersion: "go1.27.3", Platform: "linux/amd64"}
	assert.Equal(t, "custsync v1.2.3 (go1.27.3 linux/amd64)", i.String())
}

func TestTheUserAgentNamesThisBuild(t *testing.T) {
	t.Parallel()
	// A test binary's main module is custsync, built from the clone.
	assert.Equal(t, "custsync/devel ("+runtime.Version()+")", buildinfo.UserAgent())
	assert.Regexp(t, regexp.MustCompile(`^custsync/\S+ \(go[^ ()]+\)$`), buildinfo.UserAgent())
}
