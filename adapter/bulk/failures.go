package bulk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FailuresFile is the failures file of a run: every record that failed
// or was not sent, one line each, in the input's own format, so that the
// file is an input again.
//
// # Format
//
// For a JSONL input (see [JSONLReader]) each line is the record's JSON
// object as it was read, its members in their order and each value byte
// for byte, with one member added at the end: "_error", the [Failure].
//
//	{"id":"C-1","name":"Acme","_error":{"line":4,"vendor":"upwell","code":"NotFound","message":"no such customer","httpStatus":404,"vendorCode":"","retryable":false,"requestId":"r-81"}}
//
// Its keys are a contract: line is the record's line in the input it was
// read from, from 1; vendor the vendor's name; code the portable code's
// name ([adapter.Code]); message what went wrong; httpStatus the
// vendor's answer, 0 when none came; vendorCode the vendor's own error
// code, "" when it gave none; retryable whether the same request may
// succeed later; field, the input field at fault, and requestId, the
// vendor's request id, are left out when unknown. A line that is not a
// JSON object is kept as text: {"_raw":"<the line>","_error":{...}}.
// Read as an input, "_error" is dropped and "_raw" unwrapped: a line
// fixed in place goes through, one left as it was fails as before.
//
// For a CSV input (see [CSVReader]) the file is CSV in the input's
// delimiter and encoding: its header, plus a column "_error" holding the
// Failure's JSON, then each failed row as it was read (a row may take
// several lines: a quoted cell may hold line breaks). Read as an input,
// "_error" is ignored.
//
// # Naming and publication
//
// Lines are written at once, one whole line at a time (but see "A run
// that does not finish" for the rest of a stopped run), to a temporary
// file next to the failures path, PATH.partial-XXXXXXXX (X a hex digit),
// and synced to disk at least every 500ms and before the file is
// published: a run that is killed leaves its failures so far there. At
// [FailuresFile.Close], if any line was written, the temporary file
// becomes the failures file: a path given with replace is replaced; any
// other path (a per-run name, see [DefaultFailuresPath]) never replaces
// a file, and when it is taken the failures go to the first free one of
// the names with "-2", "-3"... added before the extension. If nothing
// failed, the temporary file is removed and nothing else is touched: a
// run deletes no file it did not write. A write that fails leaves no
// partial line: the file is cut back to its last whole line, and the
// error is returned by that Append, every later one, and Close.
//
// A path that exists and is not a regular file (a terminal, a named
// pipe), or any path under /dev or /proc (where /dev/stderr may stand for
// a log file), is appended to directly and never replaced, cut back or
// removed: it is not the run's to replace.
//
// # A run that does not finish
//
// A run that stops sending (WithStop, ctx, a halt) still reads the rest
// of its input and writes each record it did not send as a line of its
// own. So that a kill during that time loses nothing silently, however
// long the input, [Run] keeps a rest file beside the temporary file,
// PATH.partial-XXXXXXXX.rest, while it writes to it. From the start it
// says that the run is sending; the moment the run stops sending, and
// before it writes the rest, it says, synced to disk, the line and byte
// offset of the first record not sent (no record from there to the end
// of the input was sent; those before it were sent, unchanged, or are in
// the file, but for the records in flight and those waiting on them: a
// customer's later records and, with a state store, records held until
// the end of the input) and the input file's path, size and modification
// time (see [FileReader]). The lines of those records may then be written
// in blocks, since a kill loses nothing the rest file does not name. Once
// every one of them is in the file and synced, the rest file is removed,
// and so it is at Close: it remains only beside a temporary file that a
// run which did not finish left, and [StaleFailures] reads it (see
// [Rest]). It is JSON, created 0600 only if its name is free and never
// through a link; should it not be created, the run writes every line at
// once, as it would otherwise.
//
// # Permissions and links
//
// Failures files hold customers' data: the temporary file, and so the
// published one, is created with mode 0600 whatever the umask. A failures
// path that is a symbolic link is refused (outside /dev and /proc): a
// link can be planted by anyone who can write its directory, and
// following it would replace its target. The temporary file is created
// only if its name is free, never through a link.
//
// A FailuresFile is safe for concurrent use.
type FailuresFile struct {
	path    string // as given
	replace bool
	temp    string // the temporary file; "" when appending to path directly

	mu       sync.Mutex
	f        file // temp, or path when appending to it directly
	size     int64
	written  int // whole lines written
	dirty    bool
	lastSync time.Time
	syncer   *time.Timer // pending sync of the lines written since lastSync
	err      error       // the first write or sync error: nothing more is written
	partial  bool        // a partial line could not be cut off
	closed   bool
	// header is what the file starts with, written with its first line
	// (a CSV input's header row); nil for none. With a header, a line is
	// a record of the input's format, which may hold line breaks.
	header []byte
	// rest is the rest file of the run writing to ff (see rest.go); nil
	// when there is none.
	rest *restFile
	// held are whole lines of records the rest file covers, not yet
	// written: a kill loses them, and the rest file says so.
	held      []byte
	heldLines int
}

// file is what a FailuresFile writes to: an *os.File.
type file interface {
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

// syncEvery bounds how long a line written to the temporary file may sit
// in the kernel's cache before it is synced to disk. Every line is
// written at once, so a killed process loses none; syncing each as well
// would cost an fsync per line when a stopped run writes the rest of a
// long input as not sent.
const syncEvery = 500 * time.Millisecond

// partialInfix names the temporary files: "f.jsonl.partial-1a2b3c4d".
const partialInfix = ".partial-"

// companionSuffixes name the files SQLite keeps next to a database.
var companionSuffixes = []string{"-wal", "-shm", "-journal"}

// RefusedError is the error of [CreateFailures] for a failures path that
// is one of the files it was told to refuse, or one of their SQLite
// companion files.
type RefusedError struct {
	Path    string // the failures path
	Refused string // the refused path it is, as given
	// Companion is "" when Path is Refused itself, or the suffix of
	// Refused's companion file it is: "-wal", "-shm" or "-journal".
	Companion string
}

func (e *RefusedError) Error() string {
	if e.Companion == "" {
		return fmt.Sprintf("the failures file %s is %s", e.Path, e.Refused)
	}
	return fmt.Sprintf("the failures file %s is %s%s, a companion file of %s", e.Path, e.Refused, e.Companion, e.Refused)
}

// CreateFailures opens the failures file at path and, unless path is
// appended to directly, creates its temporary file at once, so that a
// path that cannot be written fails before anything is sent. replace says
// whether path may be replaced at the end, as a path named for the
// purpose may be, or never, as a per-run name is; see [FailuresFile].
//
// refuse lists files the failures file must never be written over, such
// as the input and a state store. A path that is one of them, or one of
// their SQLite companion files (-wal, -shm, -journal), is refused with a
// *[RefusedError] when it would be replaced or appended to; a path that
// is never replaced takes a free name at the end and is not checked. Two
// paths are the same when they name the same file (os.SameFile, links
// followed, so /dev/stdin stands for what it opens) or, when either does
// not exist, the same absolute path. A refused path that exists and is
// not a regular file is ignored: there is nothing in it to lose; so is "".
//
// A path that is a directory, in a directory that does not exist, or a
// symbolic link is refused with an error saying so.
func CreateFailures(path string, replace bool, refuse ...string) (*FailuresFile, error) {
	ff := &FailuresFile{path: path, replace: replace}
	info, err := os.Lstat(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot write the failures file: %w", err)
	}
	direct := false
	if exists && systemPath(path) {
		// /dev/stderr is a link to what descriptor 2 is: following it is
		// the point of the name.
		if info, err = os.Stat(path); err != nil {
			return nil, fmt.Errorf("cannot write the failures file: %w", err)
		}
		direct = !info.IsDir()
	}
	if exists && !direct && info.Mode()&fs.ModeSymlink == 0 {
		direct = !info.IsDir() && !info.Mode().IsRegular()
	}
	if replace || direct {
		if err := checkRefused(path, refuse); err != nil {
			return nil, err
		}
	}
	switch {
	case exists && info.IsDir():
		return nil, fmt.Errorf("cannot write the failures file: %s is a directory", path)
	case direct:
		flags := os.O_WRONLY | os.O_APPEND
		if !systemPath(path) {
			flags |= oNoFollow // nor a link put in its place since
		}
		f, err := os.OpenFile(path, flags, 0)
		if err != nil {
			return nil, fmt.Errorf("cannot write the failures file: %w", err)
		}
		ff.f = f
		return ff, nil
	case exists && info.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(path) // only for the message
		return nil, fmt.Errorf("cannot write the failures file: %s is a symbolic link (to %s), which is not followed: give the file's own path", path, target)
	}
	f, err := createTemp(path)
	if err != nil {
		return nil, fmt.Errorf("cannot write the failures file: %w", err)
	}
	ff.f, ff.temp, ff.lastSync = f, f.Name(), time.Now()
	return ff, nil
}

// checkRefused returns a *RefusedError when path is one of refuse or of
// their companion files.
func checkRefused(path string, refuse []string) error {
	info, err := os.Stat(path)
	if err != nil {
		info = nil // compared by name
	}
	for _, r := range refuse {
		if r == "" {
			continue
		}
		for _, suffix := range append([]string{""}, companionSuffixes...) {
			other := r + suffix
			otherInfo, err := os.Stat(other)
			var same bool
			switch {
			case err == nil && !otherInfo.Mode().IsRegular():
				continue
			case err == nil && info != nil:
				same = os.SameFile(info, otherInfo)
			default:
				same = samePath(path, other)
			}
			if same {
				return &RefusedError{Path: path, Refused: r, Companion: suffix}
			}
		}
	}
	return nil
}

// samePath reports whether a and b are the same absolute path once the
// links in their directories are followed.
func samePath(a, b string) bool {
	return canonical(a) == canonical(b)
}

func canonical(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	dir, base := filepath.Split(abs)
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(resolved, base)
	}
	return abs
}

// systemPath reports whether path is under /dev or /proc, where a name may
// stand for an open descriptor (/dev/stdout, /proc/self/fd/3).
func systemPath(path string) bool {
	abs, err := filepath.Abs(path)
	return err == nil && (strings.HasPrefix(abs, "/dev/") || strings.HasPrefix(abs, "/proc/"))
}

// createTemp creates a new file next to path, named after it, readable
// and writable by its owner only.
func createTemp(path string) (*os.File, error) {
	for range 100 {
		name := fmt.Sprintf("%s%s%08x", path, partialInfix, rand.Uint32())
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		// The umask may have taken the owner's bits too.
		if err := f.Chmod(0o600); err != nil {
			_ = f.Close()       // empty, and being given up
			_ = os.Remove(name) // ours: created just now
			return nil, err
		}
		return f, nil
	}
	return nil, fmt.Errorf("creating a temporary file next to %s: too many attempts", path)
}

// Writing names the file that holds the failures written so far: the
// temporary file, or the failures path when it is appended to directly.
func (ff *FailuresFile) Writing() string {
	if ff.temp != "" {
		return ff.temp
	}
	return ff.path
}

// Append writes line, one whole failures-file line ending in \n (as
// [Reader.AppendFailure] makes), or, in the failures file of a
// [HeaderReader]'s run, one whole record of its format. After a write
// fails, it writes nothing more and returns that error again.
func (ff *FailuresFile) Append(line []byte) error {
	ff.mu.Lock()
	records := ff.header != nil
	ff.mu.Unlock()
	if len(line) == 0 || (!records && bytes.IndexByte(line, '\n') != len(line)-1) {
		return errors.New("bulk: a failures-file line must be one line ending in \\n")
	}
	ff.mu.Lock()
	defer ff.mu.Unlock()
	switch {
	case ff.closed:
		return fmt.Errorf("writing the failures file %s: %w", ff.Writing(), fs.ErrClosed)
	case ff.err != nil:
		return ff.err
	}
	if err := ff.flushHeldLocked(); err != nil {
		return err
	}
	return ff.writeLocked(line, 1)
}

// heldBytes is how much of the lines a rest file covers is held in
// memory before it is written in one go.
const heldBytes = 64 << 10

// appendHeld is Append for a line of a record the rest file covers: it
// may hold the line in memory, with others, and write them together
// later, in their order. A line is held only while the rest file is
// there to say that the records from its line on are not all in the
// file; otherwise it is written at once.
func (ff *FailuresFile) appendHeld(line []byte) error {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	switch {
	case ff.closed:
		return fmt.Errorf("writing the failures file %s: %w", ff.Writing(), fs.ErrClosed)
	case ff.err != nil:
		return ff.err
	case ff.rest == nil || ff.rest.line == 0:
		if err := ff.flushHeldLocked(); err != nil {
			return err
		}
		return ff.writeLocked(line, 1)
	}
	ff.held = append(ff.held, line...)
	ff.heldLines++
	if len(ff.held) >= heldBytes {
		return ff.flushHeldLocked()
	}
	return nil
}

// flushHeld writes the lines held.
func (ff *FailuresFile) flushHeld() error {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.closed || ff.err != nil {
		return ff.err
	}
	return ff.flushHeldLocked()
}

func (ff *FailuresFile) flushHeldLocked() error {
	if len(ff.held) == 0 {
		return nil
	}
	held, lines := ff.held, ff.heldLines
	ff.held, ff.heldLines = ff.held[:0], 0
	return ff.writeLocked(held, lines)
}

// setHeader makes header what the file starts with, written with the
// first line; Run sets it, before any line, for a HeaderReader.
func (ff *FailuresFile) setHeader(header []byte) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.written == 0 {
		ff.header = bytes.Clone(header)
	}
}

// writeLocked writes p, lines whole lines, at once, after the header if
// they are the first; a write that fails leaves no partial line.
func (ff *FailuresFile) writeLocked(p []byte, lines int) error {
	if ff.written == 0 && len(ff.header) > 0 {
		p = append(bytes.Clone(ff.header), p...)
	}
	n, err := ff.f.Write(p)
	if err != nil {
		ff.err = fmt.Errorf("writing the failures file %s: %w", ff.Writing(), err)
		if n > 0 && ff.temp != "" {
			if terr := ff.f.Truncate(ff.size); terr != nil {
				ff.partial = true
				ff.err = fmt.Errorf("%w; cutting off the partial line: %w", ff.err, terr)
			}
		}
		return ff.err
	}
	ff.size += int64(n)
	ff.written += lines
	if ff.temp == "" {
		return nil
	}
	ff.dirty = true
	switch wait := syncEvery - time.Since(ff.lastSync); {
	case wait <= 0:
		ff.syncLocked()
	case ff.syncer == nil:
		ff.syncer = time.AfterFunc(wait, ff.syncDue)
	}
	return ff.err
}

// syncDue syncs the lines written since the last sync, when no later
// Append did.
func (ff *FailuresFile) syncDue() {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	ff.syncer = nil
	if !ff.closed && ff.dirty && ff.err == nil {
		ff.syncLocked()
	}
}

func (ff *FailuresFile) syncLocked() {
	if ff.syncer != nil {
		ff.syncer.Stop()
		ff.syncer = nil
	}
	ff.dirty = false
	ff.lastSync = time.Now()
	if err := ff.f.Sync(); err != nil && ff.err == nil {
		ff.err = fmt.Errorf("syncing the failures file %s: %w", ff.Writing(), err)
	}
}

// Close finishes the failures file. where is the file that holds the
// run's failures, "" when there are none: the failures file, or the
// temporary file when it could not be published. err is any error of
// the run's writes (already returned by Append) or of Close itself
// (syncing, publishing, removing); lines written before a failed write
// are published all the same.
func (ff *FailuresFile) Close() (where string, err error) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.closed {
		return "", fmt.Errorf("closing the failures file %s: %w", ff.Writing(), fs.ErrClosed)
	}
	if ff.err == nil {
		_ = ff.flushHeldLocked() // an error is ff.err, returned below
	}
	ff.closed = true
	if ff.syncer != nil {
		ff.syncer.Stop()
		ff.syncer = nil
	}
	err = ff.err
	if ff.temp == "" {
		if cerr := ff.f.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("closing the failures file %s: %w", ff.path, cerr))
		}
		if ff.written > 0 {
			where = ff.path
		}
		return where, err
	}
	if ff.written > 0 {
		// Publishing must not show a file whose lines are not on disk.
		if serr := ff.f.Sync(); serr != nil {
			err = errors.Join(err, fmt.Errorf("syncing the failures file %s: %w", ff.temp, serr))
		}
	}
	if cerr := ff.f.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("closing the failures file %s: %w", ff.temp, cerr))
	}
	// The run has ended and its report says what became of every record:
	// the rest file, named after the temporary file, goes before it.
	ff.removeRestLocked()
	switch {
	case ff.written == 0:
		// Nothing to keep. An earlier run's failures file, whatever its
		// name, is not this run's to delete.
		if rerr := os.Remove(ff.temp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("removing the temporary failures file %s: %w", ff.temp, rerr))
		}
		return "", err
	case ff.partial:
		return ff.temp, errors.Join(err, fmt.Errorf("the failures in %s end in a partial line; it was not moved to %s", ff.temp, ff.path))
	}
	published, perr := ff.publish()
	if perr != nil {
		return ff.temp, errors.Join(err, fmt.Errorf("moving the failures from %s to %s: %w", ff.temp, ff.path, perr))
	}
	syncDir(filepath.Dir(ff.path))
	return published, err
}

// publish makes the temporary file the failures file and returns its
// name. A path given with replace is replaced; any other is not: the file
// is linked to the name, which fails if it exists, and then to the names
// with "-2", "-3"... added.
func (ff *FailuresFile) publish() (string, error) {
	if ff.replace {
		// Rename replaces a link planted since, not its target.
		return ff.path, os.Rename(ff.temp, ff.path)
	}
	ext := filepath.Ext(ff.path)
	stem := strings.TrimSuffix(ff.path, ext)
	for n := 1; n <= 100; n++ {
		name := ff.path
		if n > 1 {
			name = stem + "-" + strconv.Itoa(n) + ext
		}
		err := os.Link(ff.temp, name)
		switch {
		case err == nil:
			return name, os.Remove(ff.temp)
		case errors.Is(err, fs.ErrExist):
			continue
		}
		// No hard links here (some file systems): rename when the name is
		// free, at the cost of a window in which another run could take it.
		if _, statErr := os.Lstat(name); errors.Is(statErr, fs.ErrNotExist) {
			return name, os.Rename(ff.temp, name)
		}
	}
	return "", fmt.Errorf("every name like %s is taken", ff.path)
}

// syncDir makes a rename in dir durable, where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()  // best effort: some systems cannot sync a directory
		_ = d.Close() // opened for reading only
	}
}

// failuresStamp is the UTC time format of per-run failures file names:
// sortable, and free of characters a shell or Windows would trip on.
const failuresStamp = "20060102T150405Z"

// earlierFailures matches what an earlier run's per-run name added to an
// input's stem, so that running a failures file again does not stack
// names.
var earlierFailures = regexp.MustCompile(`(^|\.)failures-[a-z]+-\d{8}T\d{6}Z(-\d+)?$`)

// defaultName matches a per-run failures file name; its first group is
// what every run's name for the same input starts with, its second the
// extension.
var defaultName = regexp.MustCompile(`^(.*failures-)[a-z]+-\d{8}T\d{6}Z(\.jsonl|\.csv|\.tsv)$`)

// DefaultFailuresPath returns a failures path of the run's own, to be
// created without replace, the way bulk loaders write one error file per
// run: named after the input, the vendor and the run's start in UTC,
// next to the input ("customers.jsonl" ->
// "customers.failures-billbee-20261201T100327Z.jsonl"). A failures file
// run again is named after the original input, not after the failures
// file. An input that is not a file, input "" or "-" (standard input),
// gets "failures-billbee-20261201T100327Z.jsonl" in the working
// directory.
func DefaultFailuresPath(input, vendor string, started time.Time) string {
	return DefaultFailuresPathFor(input, vendor, started, ".jsonl")
}

// DefaultFailuresPathFor is [DefaultFailuresPath] for a failures file
// whose name ends in ext, the extension of the input's format: ".jsonl",
// ".csv" or ".tsv" ("export.csv" ->
// "export.failures-billbee-20261201T100327Z.csv"). An input whose name
// ends in ext, in any case, is named without it.
func DefaultFailuresPathFor(input, vendor string, started time.Time, ext string) string {
	name := "failures-" + vendor + "-" + started.UTC().Format(failuresStamp) + ext
	if input == "" || input == "-" {
		return name
	}
	stem := filepath.Base(input)
	if strings.EqualFold(filepath.Ext(stem), ext) {
		stem = stem[:len(stem)-len(ext)]
	}
	stem = earlierFailures.ReplaceAllString(stem, "")
	if stem != "" {
		name = stem + "." + name
	}
	return filepath.Join(filepath.Dir(input), name)
}

// StaleFile is a temporary failures file that a run which did not finish
// (killed, or still running) left.
type StaleFile struct {
	Path  string
	Lines int // the failures it holds
	// Rest, when the file is not all there is to know, says which records
	// of the run's input are in no file: those from Rest.Line on when the
	// run had stopped sending and was writing them to the file as not
	// sent, or all it had not sent when it had not stopped. nil when the
	// file holds every record the run did not send but those in flight.
	Rest *Rest
}

// StaleFailures lists the temporary failures files that runs which did
// not finish left where a run with the same failures path, and replace,
// writes its own: for a per-run name (see [DefaultFailuresPath]), those
// of every run of the same input, whatever the vendor and time; for any
// other path, those of that path. Call it before [CreateFailures], which
// creates this run's own. The files may hold the only record of what
// those runs did not do: they are reported, not removed, and neither are
// their rest files. A file with a rest file beside it does not hold
// every record its run did not send: StaleFile.Rest says which are
// missing.
func StaleFailures(path string, replace bool) []StaleFile {
	dir, base := filepath.Split(path)
	match := func(name string) bool {
		rest, ok := strings.CutPrefix(name, base+partialInfix)
		return ok && isPartialSuffix(rest)
	}
	if m := defaultName.FindStringSubmatch(base); m != nil && !replace {
		// "customers.failures-billbee-20261201T100327Z.jsonl" -> "customers.failures-" ... ".jsonl.partial-XXXXXXXX"
		match = func(name string) bool {
			rest, ok := strings.CutPrefix(name, m[1])
			if !ok {
				return false
			}
			i := strings.LastIndex(rest, m[2]+partialInfix)
			return i >= 0 && isPartialSuffix(rest[i+len(m[2]+partialInfix):])
		}
	}
	entries, err := os.ReadDir(dirOrDot(dir))
	if err != nil {
		return nil
	}
	var out []StaleFile
	for _, e := range entries {
		if !e.Type().IsRegular() || !match(e.Name()) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		count := countLines
		if isCSVName(e.Name()) {
			count = countCSVRows
		}
		lines, err := count(name)
		if err != nil {
			continue
		}
		out = append(out, StaleFile{Path: name, Lines: lines, Rest: readRest(name)})
	}
	return out
}

func dirOrDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// isPartialSuffix reports whether s is what createTemp puts after
// partialInfix: eight hex digits.
func isPartialSuffix(s string) bool {
	if len(s) != 8 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// isCSVName reports whether the temporary failures file name is that of
// a CSV or TSV failures file.
func isCSVName(name string) bool {
	i := strings.LastIndex(name, partialInfix)
	if i < 0 {
		return false
	}
	ext := strings.ToLower(filepath.Ext(name[:i]))
	return ext == ".csv" || ext == ".tsv"
}

// countCSVRows counts the failed rows in the CSV failures file name: its
// rows but the header, a line ending inside quotes ending none. The file
// is in its input's encoding: one that starts with a UTF-16 byte order
// mark is read as UTF-16; in any other, a quote and a line ending are the
// bytes they are in ASCII.
func countCSVRows(name string) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close() //nolint:errcheck // opened for reading only
	var r io.Reader = f
	head := make([]byte, 2)
	if n, _ := io.ReadFull(f, head); n == 2 && (bytes.Equal(head, utf16LEBOM) || bytes.Equal(head, utf16BEBOM)) {
		r = newDecoder(io.MultiReader(bytes.NewReader(head), f), UTF16)
	} else {
		r = io.MultiReader(bytes.NewReader(head[:n]), f)
	}
	buf := make([]byte, 64<<10)
	rows, quoted, open := 0, false, false // open: a row has begun and not ended
	for {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			switch {
			case c == '"':
				quoted = !quoted
			case c == '\n' && !quoted:
				rows++
				open = false
				continue
			}
			open = true
		}
		if err != nil {
			if open {
				rows++ // the last row, without a line ending
			}
			return max(rows-1, 0), nil
		}
	}
}

// countLines counts the line endings in the file name.
func countLines(name string) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close() //nolint:errcheck // opened for reading only
	buf := make([]byte, 64<<10)
	lines := 0
	for {
		n, err := f.Read(buf)
		lines += bytes.Count(buf[:n], []byte("\n"))
		if errors.Is(err, io.EOF) {
			return lines, nil
		}
		if err != nil {
			return 0, err
		}
	}
}
