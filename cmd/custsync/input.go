package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
)

// The formats push reads.
const (
	formatJSONL = "jsonl"
	formatCSV   = "csv"
	formatTSV   = "tsv"
)

// inputFlags are push's flags that say how to read the input.
type inputFlags struct {
	format    string // as given; "" to take it from the file's extension
	delimiter string
	mapping   string // the mapping file's path
	null      string
	encoding  string
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.format, "format", "", "read the input as `FORMAT`: csv, tsv or jsonl (default: from the file's extension,\n.csv, .tsv or .tab; anything else, and standard input, is jsonl)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV: the `CHARACTER` between cells, such as ';' or tab (default: detected from the\nheader row, the most frequent of , ; and tab; tab for tsv)")
	fs.StringVar(&f.mapping, "map", "", "CSV: map the header's columns to fields with the YAML or JSON file `PATH`\n(default: each column's name is a field's path, such as email or upwell.dueOption)")
	fs.StringVar(&f.null, "null", "", "CSV: a cell holding exactly `TEXT` (such as '\\N') clears its field; an empty cell\nleaves it as it is (default: none, or the mapping's nullMarker)")
	fs.StringVar(&f.encoding, "encoding", "", "CSV: the input's `ENCODING`: utf-8 (a byte order mark is skipped), windows-1252,\niso-8859-1, iso-8859-15, utf-16 (byte order from its mark, little endian\nwithout), utf-16le or utf-16be; the failures file is written in it too (default utf-8)")
}

// resolve returns the input's format, and refuses flags that do not
// apply to it.
func (f *inputFlags) resolve(file string) (string, error) {
	format := strings.ToLower(f.format)
	switch format {
	case "":
		format = formatOf(file)
	case formatJSONL, formatCSV, formatTSV:
	default:
		return "", usagef("--format %q: want csv, tsv or jsonl", f.format)
	}
	if format == formatJSONL {
		var given []string
		for _, g := range []struct{ name, value string }{{"--delimiter", f.delimiter}, {"--map", f.mapping}, {"--null", f.null}, {"--encoding", f.encoding}} {
			if g.value != "" {
				given = append(given, g.name)
			}
		}
		if len(given) > 0 {
			return "", usagef("%s %s for CSV and TSV input, and %s is read as JSON lines: name its format with --format csv or tsv",
				strings.Join(given, ", "), plural(len(given), "is", "are"), inputName(file))
		}
	}
	if format == formatTSV && f.delimiter != "" {
		if d, err := parseDelimiter(f.delimiter); err != nil || d != '\t' {
			return "", usagef("--format tsv is tab-separated: drop --delimiter, or read the input with --format csv")
		}
	}
	return format, nil
}

// formatOf is the format a file's extension names.
func formatOf(file string) string {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv":
		return formatCSV
	case ".tsv", ".tab":
		return formatTSV
	}
	return formatJSONL
}

// namesAnotherFormat reports whether file's extension names a format
// push reads, other than format.
func namesAnotherFormat(file, format string) bool {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".jsonl", ".csv", ".tsv", ".tab":
		return formatOf(file) != format
	}
	return false
}

// parseDelimiter reads --delimiter: one character, or tab as "tab" or
// "\t".
func parseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "tab", `\t`:
		return '\t', nil
	}
	if utf8.RuneCountInString(s) != 1 {
		return 0, usagef("--delimiter %q: want one character, such as ';' or tab", s)
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r, nil
}

// csvConfig builds the CSV reader's configuration from the flags.
func (f *inputFlags) csvConfig(format string) (bulk.CSVConfig, error) {
	cfg := bulk.CSVConfig{NullMarker: f.null}
	if format == formatTSV {
		cfg.Delimiter = '\t'
	}
	if f.delimiter != "" {
		d, err := parseDelimiter(f.delimiter)
		if err != nil {
			return cfg, err
		}
		cfg.Delimiter = d
	}
	if f.encoding != "" {
		enc, err := bulk.ParseEncoding(f.encoding)
		if err != nil {
			return cfg, usagef("--encoding: %v", err)
		}
		cfg.Encoding = enc
	}
	if f.mapping != "" {
		data, err := os.ReadFile(f.mapping)
		if err != nil {
			return cfg, usagef("--map: %v", err)
		}
		m, err := bulk.ParseMapping(data)
		if err != nil {
			return cfg, usagef("--map %s: %v", f.mapping, err)
		}
		cfg.Mapping = m
	}
	return cfg, nil
}

// againArgs are the flags that read the input, for the command line that
// pushes file (the failures file, or a dry run's input) again.
func (f *inputFlags) againArgs(format, file string) []string {
	var args []string
	if formatOf(file) != format {
		args = append(args, "--format", format)
	}
	for _, g := range []struct{ name, value string }{{"--delimiter", f.delimiter}, {"--map", f.mapping}, {"--null", f.null}, {"--encoding", f.encoding}} {
		if g.value != "" {
			args = append(args, g.name, g.value)
		}
	}
	return args
}

// openCSV reads the CSV input in whole once, so that nothing is sent from
// an input that would stop half way (a byte that is no text in its
// encoding, a quote out of place), then returns what to read its rows
// from, at its start: the input itself when it is a regular file (a
// CSVReader over it names it), else a copy. An input that cannot be read
// twice (standard input, a pipe) is first copied to a temporary file,
// removed at once, the size of the input; release closes it. size is the
// input's size for the progress display, -1 when unknown.

// inputReader is what push reads its input with: JSON lines or CSV, each
// saying which line it has read up to.
type inputReader interface {
	bulk.FileReader
	Line() int
}

func openCSV(in io.Reader, name string, cfg bulk.CSVConfig) (source io.ReadSeeker, size int64, release func(), err error) {
	release = func() {}
	file, seekable := in.(*os.File)
	if seekable {
		info, err := file.Stat()
		seekable = err == nil && info.Mode().IsRegular()
	}
	source = file // named: a rest file says which file a stopped run read
	size = -1
	if seekable {
		if info, err := file.Stat(); err == nil {
			size = info.Size()
		}
	} else {
		spool, n, err := spoolInput(in)
		if err != nil {
			return nil, -1, release, usagef("%s: copying it aside to read it twice: %v; nothing was sent", inputName(name), err)
		}
		release = func() { _ = spool.Close() } // removed already: nothing to lose
		// The copy is no file of the user's: the reader must not name it
		// as the input (a rest file would point to it).
		source, size = struct{ io.ReadSeeker }{spool}, n
	}
	if err := bulk.CheckCSV(source, cfg); err != nil {
		return nil, -1, release, csvRefused(name, cfg, err)
	}
	if _, err := source.Seek(0, io.SeekStart); err != nil {
		return nil, -1, release, usagef("%s: reading it again: %v; nothing was sent", inputName(name), err)
	}
	return source, size, release, nil
}

// spoolInput copies in to a temporary file that is removed at once (it
// lives while open), readable by its owner only, and returns it at its
// start with its size.
func spoolInput(in io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "custsync-input-*")
	if err != nil {
		return nil, 0, err
	}
	_ = os.Remove(f.Name()) // unnamed from now on; where a system cannot, it is a temporary file all the same
	n, err := io.Copy(f, in)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		_ = f.Close() // being given up
		return nil, 0, err
	}
	return f, n, nil
}

// csvRefused is the usage error of a CSV input push will not send from.
func csvRefused(name string, cfg bulk.CSVConfig, err error) error {
	var encErr *bulk.EncodingError
	var parseErr *csv.ParseError
	var e *adapter.Error
	switch {
	case errors.As(err, &encErr):
		return usagef("%s: %v; nothing was sent: if the export is in another encoding than %s, name it with --encoding (%s)",
			inputName(name), encErr, cfg.Encoding, strings.Join(bulk.EncodingNames(), ", "))
	case errors.As(err, &parseErr):
		return usagef("%s: %v; nothing was sent: quote a cell that holds a quote, the delimiter or a line break, and double its quotes",
			inputName(name), parseErr)
	case errors.As(err, &e):
		return usagef("%s: %s; nothing was sent", inputName(name), e.Message)
	}
	return usagef("%s: %v; nothing was sent", inputName(name), err)
}
