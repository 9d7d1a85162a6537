package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// OpenReadOnly opens the state file at path for reading only, as a dry
// run reads it: it never creates, migrates or writes the file, creates no
// file beside it, and needs no write permission on the file or its
// directory. Put fails with syncstate.ErrReadOnly.
//
// A path where no file is yet, or a file with no schema yet, is a store
// with no records. A file written by a newer custsync, one that is not a
// custsync state file, and the symbolic links Open refuses are refused as
// Open refuses them. A file of an older schema is read as it is, not
// migrated: what that schema lacks (the run log) reads as empty.
//
// Lookups see what writers commit meanwhile. While no writer has the
// file open (there is no -wal file beside it), the file is read as
// immutable, which takes no lock and creates no -wal or -shm file, and
// each lookup that finds the file changed when it is done (a writer
// started) is made again, through the writer's -wal and -shm files from
// then on. Reading those, as any SQLite reader does, updates the shared
// memory in -shm, never the state file or -wal; a writer that closes
// meanwhile leaves them for the next writer to fold into the file.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if err := refuseLinks(path); err != nil {
		return nil, fmt.Errorf("sqlite state %s: %w", path, err)
	}
	ro := &readOnly{path: path}
	if err := ro.open(ctx); err != nil {
		return nil, fmt.Errorf("sqlite state %s: %w", path, err)
	}
	return &Store{ro: ro, path: path}, nil
}

// maxRereads bounds the lookups made again because the file changed
// while they read it: a writer changes it once when it starts.
const maxRereads = 8

// readOnly reads a state file without writing to it or beside it.
type readOnly struct {
	path string
	// mu is held for reading by lookups and for writing to open the file
	// anew.
	mu sync.RWMutex
	// cur reads the file; nil while it holds no records (no file, or no
	// schema yet).
	cur *reader
	// pin holds one connection of a live reader for as long as the store
	// is open: SQLite removes the -wal and -shm files when their last
	// connection closes, and a new connection of ours would then create
	// them again.
	pin *sql.Conn
	// seen is the file as cur was opened on it.
	seen fileState
	// live says that the file is read through a writer's -wal and -shm
	// files, where SQLite's locks keep each lookup consistent. A live
	// store with no reader found no schema yet, and looks again.
	live bool
}

// fileState is what a writer changes: whether the file and its -wal
// exist, and the file's size and time.
type fileState struct {
	exists, wal bool
	size, mtime int64
}

func stateOf(path string) (fileState, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileState{}, nil
	}
	if err != nil {
		return fileState{}, err
	}
	st := fileState{exists: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	// SQLite's companion files are next to the file the path resolves to.
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fileState{}, err
	}
	switch _, err := os.Lstat(resolved + "-wal"); {
	case err == nil:
		st.wal = true
	case !errors.Is(err, fs.ErrNotExist):
		return fileState{}, err
	}
	return st, nil
}

// read runs f on the file as it is now: on the reader opened last while
// the file is as that reader saw it, or else on one opened anew. An
// immutable reader cannot tell that the file changed under it, so the
// file is looked at before and after f, and f runs again when it changed.
func (ro *readOnly) read(ctx context.Context, f func(*reader) error) error {
	for tries := 0; ; tries++ {
		changed, err := ro.try(f, tries > 0)
		if !changed {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if tries == maxRereads {
			return fmt.Errorf("the file changed while it was read, %d times over; a push writing it opened and closed it that often", tries+1)
		}
		if err := ro.reopen(ctx); err != nil {
			return err
		}
	}
}

// try runs f unless the file changed since the reader was opened, and
// reports whether it changed, before or while f ran. A live store with no
// schema yet counts as changed, unless it was just opened.
func (ro *readOnly) try(f func(*reader) error, opened bool) (changed bool, err error) {
	ro.mu.RLock()
	defer ro.mu.RUnlock()
	if ro.live {
		if ro.cur == nil && !opened {
			return true, nil
		}
		return false, f(ro.cur)
	}
	before, err := stateOf(ro.path)
	if err != nil || before != ro.seen {
		return err == nil, err
	}
	err = f(ro.cur)
	after, serr := stateOf(ro.path)
	if serr != nil {
		return false, errors.Join(err, serr)
	}
	return after != ro.seen, err
}

// reopen opens the file anew, unless another lookup did since this one
// found it changed.
func (ro *readOnly) reopen(ctx context.Context) error {
	ro.mu.Lock()
	defer ro.mu.Unlock()
	if ro.live && ro.cur != nil {
		return nil
	}
	if !ro.live {
		if now, err := stateOf(ro.path); err != nil || now == ro.seen {
			return err
		}
	}
	if err := ro.release(); err != nil {
		return err
	}
	return ro.open(ctx)
}

// open opens a reader on the file as it is now. ro.mu is held, or ro is
// not shared yet.
func (ro *readOnly) open(ctx context.Context) error {
	st, err := stateOf(ro.path)
	if err != nil || !st.exists {
		ro.seen, ro.live = st, false
		return err
	}
	// SQLite reads the path of a file: URI with %-escapes, and a path
	// that starts with // as one with an authority.
	name := strings.ReplaceAll(ro.path, "%", "%25")
	if strings.HasPrefix(name, "//") {
		name = "/" + strings.TrimLeft(name, "/")
	}
	q := url.Values{}
	q.Set("mode", "ro")
	if !st.wal {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	db, err := sql.Open("sqlite", "file:"+name+"?"+q.Encode())
	if err != nil {
		return err
	}
	var pin *sql.Conn
	var version int
	if st.wal {
		// The pinned connection is the first to read, so it holds the
		// -wal and -shm files from then on.
		if pin, err = db.Conn(ctx); err == nil {
			version, err = schemaOf(ctx, pin)
		}
	} else {
		version, err = schemaOf(ctx, db)
	}
	var lookup *sql.Stmt
	switch {
	case err != nil:
	case version == 0:
		// No schema yet: a new file, perhaps a writer's just starting.
		// Immutable, a writer's commit changes the file; live, the next
		// lookup looks again.
	default:
		// An older schema is read as it is: its records are as this
		// version keeps them, and what it lacks (the run log) reads as
		// empty. Only Open migrates it.
		lookup, err = db.PrepareContext(ctx, getMany)
	}
	if err != nil || lookup == nil {
		var perr error
		if pin != nil {
			perr = pin.Close()
		}
		ro.seen, ro.live = st, st.wal
		return errors.Join(err, perr, db.Close())
	}
	ro.cur, ro.pin, ro.seen, ro.live = &reader{db: db, getMany: lookup, version: version}, pin, st, st.wal
	return nil
}

// release closes the reader. ro.mu is held.
func (ro *readOnly) release() error {
	if ro.cur == nil {
		return nil
	}
	var perr error
	if ro.pin != nil {
		perr = ro.pin.Close()
	}
	err := errors.Join(ro.cur.getMany.Close(), perr, ro.cur.db.Close())
	ro.cur, ro.pin, ro.live = nil, nil, false
	return err
}

func (ro *readOnly) close() error {
	ro.mu.Lock()
	defer ro.mu.Unlock()
	return ro.release()
}
