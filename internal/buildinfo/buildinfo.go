// Package buildinfo says which custsync is running, from the build
// information the Go toolchain stamps into every binary: the User-Agent
// the library sends and the command's "custsync version" both come from it,
// so they always agree with what was built.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
)

// ModulePath is custsync's module path, looked up in the build
// information.
const ModulePath = "github.com/custsync/custsync"

// devel is the version of a custsync not built from a released module:
// from a clone (go build, go run, go test) or a replace directive pointing
// at a directory. The toolchain says "(devel)".
const devel = "devel"

// Info is what a binary knows about the custsync it contains.
type Info struct {
	// Version is the custsync module's version: the main module's when
	// custsync is the program (the command), the dependency's when
	// custsync is a library in someone else's program; "devel" when it
	// was not built from a released module.
	Version string
	// GoVersion is the Go toolchain the binary was built with
	// (runtime.Version, e.g. "go1.27.3").
	GoVersion string
	// Platform is GOOS/GOARCH, e.g. "linux/amd64".
	Platform string
	// Revision, Time and Modified come from the version control system
	// when the main module was built from a checkout (go build stamps
	// them; go run and go test do not): the commit, its time in RFC 3339,
	// and whether the checkout had uncommitted changes. Empty otherwise.
	Revision string
	Time     string
	Modified bool
}

// Read returns the running binary's Info. It reads the build information
// once.
func Read() Info { return read() }

var read = sync.OnceValue(func() Info {
	bi, _ := debug.ReadBuildInfo() // nil without module support
	return FromBuildInfo(bi)
})

// UserAgent is the User-Agent header custsync sends on every request:
// "custsync/<version> (<go version>)", e.g. "custsync/v1.2.3 (go1.27.3)".
func UserAgent() string { return userAgent() }

var userAgent = sync.OnceValue(func() string {
	i := Read()
	return fmt.Sprintf("custsync/%s (%s)", i.Version, i.GoVersion)
})

// FromBuildInfo is Read for given build information (nil when the binary
// has none, as one built without module support).
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: devel, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		return info
	}
	if bi.Main.Path == ModulePath {
		info.Version = moduleVersion(&bi.Main)
	} else {
		for _, dep := range bi.Deps {
			if dep.Path == ModulePath {
				info.Version = moduleVersion(dep)
				break
			}
		}
	}
	// The VCS settings describe the main module's checkout: custsync's
	// only when it is the main module.
	if bi.Main.Path != ModulePath {
		return info
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// moduleVersion is m's version, or the version it is replaced by (a
// directory replacement has none: devel).
func moduleVersion(m *debug.Module) string {
	if m.Replace != nil {
		m = m.Replace
	}
	if m.Version == "" || m.Version == "(devel)" {
		return devel
	}
	return m.Version
}

// String is the one line "custsync version" prints: "custsync v1.2.3
// (go1.27.3 linux/amd64)".
func (i Info) String() string {
	return fmt.Sprintf("custsync %s (%s %s)", i.Version, i.GoVersion, i.Platform)
}
