package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// failuresPath returns where push writes failed lines, and whether the
// user named it (--failures). Without --failures, each run gets a file of
// its own, named after the input, the vendor and the run's start in UTC,
// the way bulk loaders write one error file per run: "customers.jsonl" ->
// "customers.failures-billbee-20261201T100327Z.jsonl" next to it, and
// "failures-billbee-20261201T100327Z.jsonl" in the working directory for
// standard input. Pushing a failures file again names the new one after
// the original input, not after the failures file.
//
// in is the opened input's FileInfo (nil when unknown, as for standard
// input that is not a file). The failures file may not be the input, however
// the input was named: "--file -" with standard input redirected from
// the --failures file included. Failures go to a temporary file that
// replaces a --failures file only at the end (see failureLog), so reading
// the input is safe either way; but that replacement would then destroy the
// user's input, which push never does to a file it was asked to read. A
// pipe ("cat failures.jsonl | custsync push --file - --failures
// failures.jsonl") cannot be told apart from any other pipe; it is safe, as
// the input was read through the pipe before the failures file is replaced.
func failuresPath(flagValue, input string, in fs.FileInfo, vendor string, started time.Time) (path string, explicit bool, err error) {
	path, explicit = flagValue, flagValue != ""
	if !explicit {
		path = defaultFailuresPath(input, vendor, started)
	}
	// A default name that is the input's (pushing a failures file in the
	// second it was written) is fine: publishing never replaces a file, it
	// takes the next free name. Only a name the user gave is refused.
	if in != nil && explicit {
		if info, err := os.Stat(path); err == nil && os.SameFile(info, in) {
			name := "the input file"
			if input == "-" {
				name = "standard input"
			}
			return "", false, usagef("the failures file %s is %s; name another with --failures", path, name)
		}
	}
	return path, explicit, nil
}

// failuresStamp is the UTC time format of default failures file names:
// sortable, and free of characters a shell or Windows would trip on.
const failuresStamp = "20060102T150405Z"

// earlierFailures matches what an earlier run's default name added to an
// input's stem, so that pushing a failures file again does not stack names.
var earlierFailures = regexp.MustCompile(`(^|\.)failures-[a-z]+-\d{8}T\d{6}Z(-\d+)?$`)

func defaultFailuresPath(input, vendor string, started time.Time) string {
	name := "failures-" + vendor + "-" + started.UTC().Format(failuresStamp) + ".jsonl"
	if input == "-" {
		return name
	}
	stem := strings.TrimSuffix(filepath.Base(input), ".jsonl")
	stem = earlierFailures.ReplaceAllString(stem, "")
	if stem != "" {
		name = stem + "." + name
	}
	return filepath.Join(filepath.Dir(input), name)
}

// staleGlob is the pattern of the temporary files a killed run with the
// same failures naming would have left next to path.
func staleGlob(path string, explicit bool) string {
	if explicit {
		return path + partialInfix + "*"
	}
	dir, base := filepath.Split(path)
	// "customers.failures-billbee-20261201T100327Z.jsonl" -> "customers.failures-*.jsonl.partial-*"
	prefix := base[:strings.Index(base, "failures-")+len("failures-")]
	return filepath.Join(dir, prefix+"*.jsonl"+partialInfix+"*")
}

// staleFailures lists the temporary failures files that runs killed
// before their end left where this run writes its own, with how many
// failures each holds. push reports them at the start and leaves them
// alone: they may hold the only record of what those runs did not do.
func staleFailures(path string, explicit bool) []staleFile {
	names, _ := filepath.Glob(staleGlob(path, explicit)) // the pattern is well formed
	var out []staleFile
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		out = append(out, staleFile{path: name, lines: bytes.Count(data, []byte("\n"))})
	}
	return out
}

type staleFile struct {
	path  string
	lines int
}

// syncEvery bounds how long a failure written to the failures file may sit
// in the kernel's cache before it is synced to disk. Every failure is
// written at once, so a crash of push itself loses none of them; syncing
// each one as well would make an interrupted push of a long input (every
// record after the interrupt is a failure, "not sent") take an fsync per
// line, minutes for a million lines.
const syncEvery = 500 * time.Millisecond

// partialInfix names the temporary file failures are written to during a
// run: "customers.failures.jsonl.partial-1a2b3c4d", next to the failures
// file. It is renamed to the failures file at the end; if push is killed
// first, it holds the failures so far.
const partialInfix = ".partial-"

// failureLog writes the failures file one line at a time, as failures
// happen. Not safe for concurrent use; the pusher serializes calls.
//
// When the failures file is (or will be) a regular file, the lines go to a
// temporary file created next to it before anything is sent (so a
// directory push cannot write to fails the run up front), each written at
// once and synced at least every syncEvery. At the end, if any record
// failed, the temporary file becomes the failures file: a --failures file
// is replaced (the user asked for it); a default, per-run name never
// replaces anything (should the name be taken, "-2", "-3"... is added).
// If nothing failed the temporary file is removed and nothing else is
// touched: a run deletes no file it did not write.
//
// When --failures names something that exists and is not a regular file (a
// terminal, a named pipe), or any path under /dev or /proc (/dev/stderr
// may stand for a log file), the lines are appended to it directly and it
// is never replaced or removed: it is not this run's to replace.
type failureLog struct {
	path     string   // the failures file, as the user named it (or the default)
	explicit bool     // named by --failures: it may be replaced
	dest     string   // path with symbolic links resolved: what the temporary file replaces
	temp     string   // the temporary file; "" when writing to path directly
	f        *os.File // temp, or path when writing directly
	line     []byte   // reused buffer for one failures-file line
	failed   int      // failed records handed to write
	written  int      // lines written
	lastSync time.Time
	err      error // the first write error; later writes are skipped
}

func createFailureLog(path string, explicit bool) (*failureLog, error) {
	l := &failureLog{path: path, dest: path, explicit: explicit}
	info, err := os.Stat(path)
	switch {
	case err == nil && info.IsDir():
		return nil, usagef("cannot write the failures file: %s is a directory", path)
	case err == nil && (!info.Mode().IsRegular() || systemPath(path)):
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, usagef("cannot write the failures file: %v", err)
		}
		l.f = f
		return l, nil
	case err == nil:
		// Through a symbolic link, replace the file and keep the link.
		if l.dest, err = filepath.EvalSymlinks(path); err != nil {
			return nil, usagef("cannot write the failures file: %v", err)
		}
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(path); lerr == nil {
			return nil, usagef("cannot write the failures file: %s is a symbolic link to nothing", path)
		}
	default:
		return nil, usagef("cannot write the failures file: %v", err)
	}
	f, err := createTemp(l.dest)
	if err != nil {
		return nil, usagef("cannot write the failures file: %v", err)
	}
	l.f, l.temp, l.lastSync = f, f.Name(), time.Now()
	return l, nil
}

// systemPath reports whether path is under /dev or /proc, where a name may
// stand for an open descriptor (/dev/stdout, /proc/self/fd/3).
func systemPath(path string) bool {
	abs, err := filepath.Abs(path)
	return err == nil && (strings.HasPrefix(abs, "/dev/") || strings.HasPrefix(abs, "/proc/"))
}

// createTemp creates a new file next to dest, named after it, with the
// permissions a new file would get (0666 less the umask, as a shell's
// redirection gives; os.CreateTemp would make it 0600).
func createTemp(dest string) (*os.File, error) {
	for range 100 {
		name := fmt.Sprintf("%s%s%08x", dest, partialInfix, rand.Uint32())
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("creating a temporary file next to %s: too many attempts", dest)
}

// writingTo names the file that holds the failures so far during the run.
func (l *failureLog) writingTo() string {
	if l.temp != "" {
		return l.temp
	}
	return l.path
}

// write appends one failed record. After an error it writes nothing more
// and returns that error again.
func (l *failureLog) write(p payload, info failureInfo) error {
	l.failed++
	if l.err != nil {
		return l.err
	}
	l.line = appendFailure(l.line[:0], p, info)
	if _, err := l.f.Write(l.line); err != nil {
		l.err = fmt.Errorf("writing the failures file %s: %w", l.writingTo(), err)
		return l.err
	}
	l.written++
	if l.temp != "" && time.Since(l.lastSync) >= syncEvery {
		if err := l.f.Sync(); err != nil {
			l.err = fmt.Errorf("writing the failures file %s: %w", l.writingTo(), err)
		}
		l.lastSync = time.Now()
	}
	return l.err
}

// close finishes the failures file. where is the file that holds this
// run's failures, "" when there are none: the failures file, or the
// temporary file when it could not be renamed. A write error (already
// returned by write) does not keep the lines written before it from
// being kept. err is an error of close itself: syncing, renaming,
// removing.
func (l *failureLog) close() (where string, err error) {
	if l.temp == "" {
		err = l.f.Close()
		if err != nil {
			err = fmt.Errorf("closing the failures file %s: %w", l.path, err)
		}
		if l.written > 0 {
			where = l.path
		}
		return where, err
	}
	if l.written > 0 {
		// The rename must not publish a file whose lines are not on disk.
		if serr := l.f.Sync(); serr != nil {
			err = fmt.Errorf("syncing the failures file %s: %w", l.temp, serr)
		}
	}
	if cerr := l.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing the failures file %s: %w", l.temp, cerr)
	}
	if l.written == 0 {
		// Nothing to keep. An earlier run's failures file, whatever its
		// name, is not this run's to delete.
		if rmErr := os.Remove(l.temp); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("removing the temporary failures file %s: %w", l.temp, rmErr)
		}
		return "", err
	}
	published, perr := l.publish()
	if perr != nil {
		return l.temp, errors.Join(err, fmt.Errorf("moving the failures from %s to %s: %w", l.temp, l.path, perr))
	}
	syncDir(filepath.Dir(l.dest))
	return published, err
}

// publish makes the temporary file the failures file and returns its
// name. A --failures file is replaced; a default name is never: the file
// is linked to the name, which fails if it exists, and then to the name
// with "-2", "-3"... added.
func (l *failureLog) publish() (string, error) {
	if l.explicit {
		return l.path, os.Rename(l.temp, l.dest)
	}
	for n := 1; n <= 100; n++ {
		name := l.path
		if n > 1 {
			name = strings.TrimSuffix(l.path, ".jsonl") + "-" + strconv.Itoa(n) + ".jsonl"
		}
		err := os.Link(l.temp, name)
		switch {
		case err == nil:
			return name, os.Remove(l.temp)
		case errors.Is(err, fs.ErrExist):
			continue
		}
		// No hard links here (some file systems): rename when the name is
		// free, at the cost of a window in which another run could take it.
		if _, statErr := os.Lstat(name); errors.Is(statErr, fs.ErrNotExist) {
			return name, os.Rename(l.temp, name)
		}
	}
	return "", fmt.Errorf("every name like %s is taken", l.path)
}

// syncDir makes a rename in dir durable, where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: some systems cannot sync a directory
		_ = d.Close()
	}
}
