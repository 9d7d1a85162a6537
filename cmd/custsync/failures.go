package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// failuresPath returns where push writes failed lines: --failures when
// given, else next to the input ("customers.jsonl" -> "customers.failures.jsonl"),
// else "failures.jsonl" in the working directory for standard input.
// Writing over the input is refused: the input is read while failures are
// written.
func failuresPath(flagValue, input string) (string, error) {
	path := flagValue
	if path == "" {
		if input == "-" {
			path = "failures.jsonl"
		} else {
			path = strings.TrimSuffix(input, ".jsonl") + ".failures.jsonl"
		}
	}
	if input != "-" && sameFile(path, input) {
		return "", usagef("the failures file %s is the input file; name another with --failures", path)
	}
	return path, nil
}

func sameFile(a, b string) bool {
	if absA, err := filepath.Abs(a); err == nil {
		if absB, err := filepath.Abs(b); err == nil && absA == absB {
			return true
		}
	}
	infoA, errA := os.Stat(a)
	infoB, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(infoA, infoB)
}

// failureLog writes the failures file one line at a time, as failures
// happen, flushing each so that nothing is lost if the process dies. It is
// created (or truncated: a new run supersedes the last one's failures)
// before anything is sent, so an unwritable path fails the run up front,
// and removed at the end if no record failed: its existence means failures.
// Not safe for concurrent use; the pusher serializes calls.
type failureLog struct {
	path  string
	f     *os.File
	line  []byte // reused buffer for one failures-file line
	count int
	err   error // the first write error; later writes are skipped
}

func createFailureLog(path string) (*failureLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, usagef("cannot write the failures file: %v", err)
	}
	return &failureLog{path: path, f: f}, nil
}

// write appends one failed record.
func (l *failureLog) write(p payload, info failureInfo) error {
	l.count++
	if l.err != nil {
		return l.err
	}
	l.line = appendFailure(l.line[:0], p, info)
	if _, err := l.f.Write(l.line); err != nil {
		l.err = fmt.Errorf("writing the failures file %s: %w", l.path, err)
	}
	return l.err
}

// close closes the file, and removes it when no record failed.
func (l *failureLog) close() error {
	err := l.f.Close()
	if l.err == nil && err != nil {
		l.err = fmt.Errorf("closing the failures file %s: %w", l.path, err)
	}
	// Only an empty regular file is removed: --failures may name a device
	// or a symlink, which are not this run's to delete.
	if info, statErr := os.Lstat(l.path); l.count == 0 && statErr == nil && info.Mode().IsRegular() && info.Size() == 0 {
		if rmErr := os.Remove(l.path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) && l.err == nil {
			l.err = fmt.Errorf("removing the empty failures file %s: %w", l.path, rmErr)
		}
	}
	return l.err
}
