package bulk

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// restSuffix names the rest file of a temporary failures file:
// "f.jsonl.partial-1a2b3c4d.rest".
const restSuffix = ".rest"

// maxRestBytes bounds what StaleFailures reads of a rest file: a path and
// a few numbers.
const maxRestBytes = 64 << 10

// Rest says which records of its input a run that did not finish left
// in no file, as the rest file beside its temporary failures file
// recorded it (see [FailuresFile]).
type Rest struct {
	// Line is the first line of the input that the run did not send,
	// once it had stopped sending: no record from that line to the end of
	// the input was sent, and not all of them are in the failures file.
	// 0 when the run had not stopped sending: it ended (killed, or still
	// running) while it sent records, and of the records it had not sent,
	// only the failures the file holds are in a file.
	Line int
	// Offset is where the input from Line on starts, in bytes (blank
	// lines before Line included); negative when the reader did not say
	// (see [FileReader]).
	Offset int64
	// Input is the input file as it was when the run began reading it;
	// its Path is "" when the input was not a file (standard input, a
	// pipe, a Reader that is no FileReader).
	Input InputFile
	// Changed is set when the input file is no longer as it was: it is
	// gone, or its size or modification time differ. The lines it held
	// may then be in no file at all.
	Changed bool
	// Path is the rest file, beside the failures file: delete it with
	// the failures file.
	Path string
}

// restRecord is the JSON of a rest file.
type restRecord struct {
	Input   string    `json:"input"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modTime"`
	Line    int       `json:"line"`
	Offset  int64     `json:"offset"`
}

// restFile is the rest file of a temporary failures file, open while
// the run that writes the failures file keeps it.
type restFile struct {
	name string
	f    *os.File
	rec  restRecord
	size int // bytes written, to overwrite in place
	// line is where the records not sent begin once the run has stopped
	// sending; 0 before.
	line int
}

// beginRest creates ff's rest file, saying that the run reading in is
// still sending: a run killed now has not written the records it did
// not reach anywhere. Nothing happens when ff is appended to directly;
// and should the file not be created, the run goes on without it, as
// it would have before rest files existed. An earlier run's rest file
// on ff is removed: that run ended.
func (ff *FailuresFile) beginRest(in InputFile) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.temp == "" || ff.closed || ff.err != nil {
		return
	}
	ff.removeRestLocked()
	rf := &restFile{name: ff.temp + restSuffix, rec: restRecord{
		Input: in.Path, Size: in.Size, ModTime: in.ModTime, Offset: -1}}
	f, err := os.OpenFile(rf.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return
	}
	rf.f = f
	if !rf.write() || f.Chmod(0o600) != nil {
		_ = f.Close()          // being given up
		_ = os.Remove(rf.name) // ours: created just now
		return
	}
	syncDir(filepath.Dir(rf.name))
	ff.rest = rf
}

// markRest records at once, on disk, that the run stopped sending and
// that the records from line (at offset in the input) on are not sent.
// It reports whether the rest file now says so: only then may the
// lines of those records be held (appendHeld).
func (ff *FailuresFile) markRest(line int, offset int64) bool {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.rest == nil || ff.closed || line < 1 {
		return false
	}
	ff.rest.rec.Line, ff.rest.rec.Offset = line, offset
	if !ff.rest.write() {
		// It may say "still sending" yet, or be cut: either reads as a
		// run that had not stopped, which claims less, never more.
		ff.rest.line = 0
		return false
	}
	ff.rest.line = line
	return true
}

// endRest writes the lines held, syncs the failures file, and removes
// the rest file: every record from its line on is now in the failures
// file. After a failed write the rest file stays: the records are not
// all there.
func (ff *FailuresFile) endRest() {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.rest == nil || ff.closed || ff.err != nil || ff.flushHeldLocked() != nil {
		return
	}
	ff.syncLocked()
	if ff.err == nil {
		ff.removeRestLocked()
	}
}

// removeRestLocked removes ff's rest file, if any. ff.mu is held.
func (ff *FailuresFile) removeRestLocked() {
	if ff.rest == nil {
		return
	}
	_ = ff.rest.f.Close()       // nothing more to say in it
	_ = os.Remove(ff.rest.name) // ours; should it stay, it says less than is on disk
	ff.rest = nil
}

// write writes rf.rec over what rf holds, in one write, and syncs it.
// What is shorter than before is padded with spaces, which JSON ignores.
func (rf *restFile) write() bool {
	data, err := json.Marshal(rf.rec)
	if err != nil {
		return false
	}
	for len(data) < rf.size {
		data = append(data, ' ')
	}
	data = append(data, '\n')
	if _, err := rf.f.WriteAt(data, 0); err != nil {
		return false
	}
	rf.size = len(data) - 1
	return rf.f.Sync() == nil
}

// readRest reads the rest file of the temporary failures file partial;
// nil when there is none. A rest file that cannot be read whole, or not
// as JSON, says that the run had not stopped sending: the weaker claim.
func readRest(partial string) *Rest {
	name := partial + restSuffix
	info, err := os.Lstat(name)
	if err != nil || !info.Mode().IsRegular() {
		return nil
	}
	r := &Rest{Path: name, Offset: -1}
	f, err := os.OpenFile(name, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		return r
	}
	defer f.Close() //nolint:errcheck // opened for reading only
	data, err := io.ReadAll(io.LimitReader(f, maxRestBytes))
	var rec restRecord
	if err != nil || json.Unmarshal(data, &rec) != nil || rec.Line < 0 {
		return r
	}
	r.Line, r.Offset = rec.Line, rec.Offset
	r.Input = InputFile{Path: rec.Input, Size: rec.Size, ModTime: rec.ModTime}
	if r.Input.Path != "" {
		now, err := os.Stat(r.Input.Path)
		r.Changed = err != nil || now.Size() != rec.Size || !now.ModTime().Equal(rec.ModTime)
	}
	return r
}

// restTracker follows, for Run with a failures file (a nil one does
// nothing), where the records
// the run may not send begin, so that the moment the run stops sending
// the failures file records it (markRest), and the lines of those
// records can then be written in bulk rather than one write each.
//
// Once the feed has ended, no record after the last one started is sent
// (engine.startedUpTo): the records from the first one after it on are
// the rest. Those read and not yet reported are in pending; the others
// are still to be read, from next on.
type restTracker struct {
	ff     *FailuresFile
	offset func() int64 // nil when the reader does not say

	mu      sync.Mutex
	pending map[int]place // records read and not yet reported, by seq
	next    place         // where the input after the last record read starts
	seq     int           // records read
	marked  bool
	held    bool // marked, and the rest file says so: lines from seq from on may be held
	from    int  // with marked: the first seq of the rest
	left    int  // with marked: records of the rest not yet reported
	eof     bool // the input was read to its end
	closed  bool
}

// place is where a record starts in the input.
type place struct {
	line   int
	offset int64
}

// newRestTracker begins ff's rest file for the run reading in.
func newRestTracker(ff *FailuresFile, in Reader) *restTracker {
	t := &restTracker{ff: ff, pending: map[int]place{}, next: place{line: 1, offset: -1}}
	var file InputFile
	if fr, ok := in.(FileReader); ok {
		t.offset = fr.Offset
		if t.offset() >= 0 {
			t.next.offset = t.offset()
		}
		if f, ok := fr.File(); ok {
			file = f
		}
	}
	ff.beginRest(file)
	return t
}

// read notes rec, the next record read, before the run sees it.
func (t *restTracker) read(rec Record) {
	if t == nil {
		return
	}
	end := int64(-1)
	if t.offset != nil {
		end = t.offset()
	}
	start := end
	if end >= 0 {
		start = max(end-rec.Size, 0)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending[t.seq] = place{line: rec.Line, offset: start}
	if t.marked && t.seq >= t.from {
		t.left++
	}
	t.seq++
	t.next = place{line: rec.Line + 1, offset: end}
}

// ended notes that the input was read to its end (eof) or could not be
// read further. The lines held are written: what follows is reported at
// once.
func (t *restTracker) ended(eof bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.eof = eof
	if t.held {
		_ = t.ff.flushHeld() // an error is the failures file's, reported by the next write
	}
	t.endIfDone()
}

// mark records, once the feed has ended, where the rest begins: after
// the record at seq startedUpTo, the last one started.
func (t *restTracker) mark(startedUpTo int) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.marked || t.closed {
		return
	}
	t.marked, t.from = true, startedUpTo+1
	first, firstSeq := t.next, -1
	for seq, p := range t.pending {
		if seq < t.from {
			continue
		}
		t.left++
		if firstSeq < 0 || seq < firstSeq {
			first, firstSeq = p, seq
		}
	}
	t.held = t.ff.markRest(first.line, first.offset)
	t.endIfDone()
}

// holds reports whether the failures-file line of the record at seq may
// be held: the rest file covers it, and the input is still being read
// (after that, lines go out at once, as they come).
func (t *restTracker) holds(seq int) bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.held && !t.eof && seq >= t.from
}

// reported notes that the record at seq was reported, its line (if it
// has one) written or held.
func (t *restTracker) reported(seq int) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.pending[seq]; !ok {
		return
	}
	delete(t.pending, seq)
	if t.marked && seq >= t.from {
		t.left--
		t.endIfDone()
	}
}

// endIfDone removes the rest file once every record of the rest is in
// the failures file. t.mu is held.
func (t *restTracker) endIfDone() {
	if t.marked && t.eof && t.left == 0 && !t.closed {
		t.ff.endRest()
	}
}

// close ends the tracking when the run returns; the failures file's
// Close removes the rest file if it is still there.
func (t *restTracker) close() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
}
