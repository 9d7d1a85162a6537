package bulk

import (
	"errors"
	"time"

	"github.com/custsync/custsync/adapter"
)

// Record is one record of an input, as a Reader reads it.
type Record struct {
	// Line is where the record starts in the input, from 1.
	Line int
	// Size is how many bytes of the input the record took, ending
	// included (for progress displays); blank lines skipped before it
	// are counted in it too.
	Size int64
	// Update is the customer update the record holds; nil when Err is set.
	Update *adapter.CustomerUpdate
	// Err is why the record is not a valid update: an InvalidArgument
	// *adapter.Error naming the field. The record fails without a request.
	Err error
	// Customer addresses the customer an invalid record is for, when the
	// record still names one (an id, and a sourceSystem if given), so that
	// its failure keeps its place among that customer's records; nil when
	// it names none. It sets no field.
	Customer *adapter.CustomerUpdate
	// Raw is the record as the failures file writes it back; only the
	// Reader that made it reads it (see Reader.AppendFailure).
	Raw []byte
}

// Reader reads the records of an input in order, and writes a failed
// record back in the input's own format, so that a failures file is an
// input again.
type Reader interface {
	// Next returns the next record, or io.EOF after the last one. Any
	// other error ends the input: the records before it are run, and the
	// report says the input could not be read to its end.
	Next() (Record, error)
	// AppendFailure appends to dst the failures-file line (ending
	// included) of rec, which failed as f says.
	AppendFailure(dst []byte, rec Record, f Failure) []byte
}

// FileReader is a Reader that says which file it reads and how far it
// has read. Run records, with WithFailures, where in the input a run that
// stops sending records stopped (see [FailuresFile]): with a FileReader
// that record names the file and the byte offset too, so that a run that
// did not finish can be told apart from a later export under the same
// name. [JSONLReader] is one.
type FileReader interface {
	Reader
	// File describes the file read, as it was when reading began; ok is
	// false when the input is not a regular file (standard input, a
	// pipe), which cannot be read again.
	File() (f InputFile, ok bool)
	// Offset returns how many bytes of the input were read so far: where
	// the input after the last record returned starts. A negative offset
	// means unknown.
	Offset() int64
}

// HeaderReader is a Reader whose failures file starts with a header,
// such as a CSV input's header row: [Run] writes FailuresHeader before
// the first failure in the failures file, and not at all when nothing
// failed. [CSVReader] is one.
type HeaderReader interface {
	Reader
	// FailuresHeader returns the bytes the failures file starts with; nil
	// for none.
	FailuresHeader() []byte
}

// InputFile describes a run's input file.
type InputFile struct {
	Path    string // absolute
	Size    int64
	ModTime time.Time
}

// ErrorInfo is the JSON form of an update's failure. Its keys are a
// contract: failures files and the custsync command's --json output use
// them.
type ErrorInfo struct {
	Code       adapter.Code `json:"code"` // the portable code's name, e.g. "NotFound"
	Message    string       `json:"message"`
	HTTPStatus int          `json:"httpStatus"` // 0 when no answer was received
	VendorCode string       `json:"vendorCode"`
	Retryable  bool         `json:"retryable"`
	Field      string       `json:"field,omitempty"`     // the input field at fault, when known
	RequestID  string       `json:"requestId,omitempty"` // the vendor's request id, when it sent one
}

// Failure is why a record is in the failures file: the "_error" object of
// a JSONL failures file.
type Failure struct {
	Line   int    `json:"line"` // the record's line in the input it was read from
	Vendor string `json:"vendor"`
	ErrorInfo
}

// Describe turns an error of an update into its ErrorInfo. *adapter.Error
// values are scrubbed of credentials by the client already.
func Describe(err error) ErrorInfo {
	info := ErrorInfo{Code: adapter.CodeOf(err), Message: err.Error()}
	var e *adapter.Error
	if !errors.As(err, &e) {
		return info
	}
	info.HTTPStatus = e.HTTPStatus
	info.VendorCode = e.VendorCode
	info.Retryable = e.Retryable
	info.Field = e.Field
	info.RequestID = e.RequestID
	switch {
	case e.Message != "":
		info.Message = e.Message
	case e.Err != nil:
		info.Message = e.Err.Error()
	case e.Body != "":
		// An HTML page or garbage: the excerpt is all the vendor said.
		info.Message = "body: " + e.Body
	default:
		info.Message = e.Code.String()
	}
	return info
}
