package bulk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

// readRecords reads every record of input.
func readRecords(t *testing.T, input string) []Record {
	t.Helper()
	r := NewJSONLReader(strings.NewReader(input))
	var out []Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, rec)
	}
}

func linesOf(recs []Record) []int {
	var out []int
	for _, r := range recs {
		out = append(out, r.Line)
	}
	return out
}

func sizesOf(recs []Record) []int64 {
	var out []int64
	for _, r := range recs {
		out = append(out, r.Size)
	}
	return out
}

func idsOf(t *testing.T, recs []Record) []string {
	t.Helper()
	var out []string
	for _, r := range recs {
		require.NoError(t, r.Err, "line %d", r.Line)
		out = append(out, r.Update.ID)
	}
	return out
}

func TestJSONLReaderSplitsLines(t *testing.T) {
	t.Parallel()

	t.Run("\\n and \\r\\n end lines and a last line needs no ending", func(t *testing.T) {
		t.Parallel()
		recs := readRecords(t, `{"id":"a"}`+"\n"+`{"id":"b"}`+"\r\n"+`{"id":"c"}`)
		assert.Equal(t, []string{"a", "b", "c"}, idsOf(t, recs))
		assert.Equal(t, []int{1, 2, 3}, linesOf(recs))
		assert.Equal(t, []int64{11, 12, 10}, sizesOf(recs))
	})

	t.Run("blank lines are no records, and their bytes count in the next record's size", func(t *testing.T) {
		t.Parallel()
		recs := readRecords(t, "\n"+`{"id":"a"}`+"\n \t\r\n\n"+`{"id":"b"}`+"\n\n")
		assert.Equal(t, []string{"a", "b"}, idsOf(t, recs))
		assert.Equal(t, []int{2, 5}, linesOf(recs))
		assert.Equal(t, []int64{1 + 11, 4 + 1 + 11}, sizesOf(recs))
	})

	t.Run("an empty input has no records", func(t *testing.T) {
		t.Parallel()
		assert.Empty(t, readRecords(t, ""))
		assert.Empty(t, readRecords(t, "\n  \n"))
	})

	t.Run("a byte order mark at the start is dropped and counted in the size", func(t *testing.T) {
		t.Parallel()
		recs := readRecords(t, "\xef\xbb\xbf{\"id\":\"1\"}\n{\"id\":\"2\"}\n")
		assert.Equal(t, []string{"1", "2"}, idsOf(t, recs))
		assert.Equal(t, []int64{3 + 11, 11}, sizesOf(recs))
	})

	t.Run("a byte order mark later on is no white space", func(t *testing.T) {
		t.Parallel()
		recs := readRecords(t, "{\"id\":\"1\"}\n\xef\xbb\xbf{\"id\":\"2\"}\n")
		require.Len(t, recs, 2)
		assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(recs[1].Err))
	})

	t.Run("Line and Offset say how far the input was read", func(t *testing.T) {
		t.Parallel()
		r := NewJSONLReader(strings.NewReader(`{"id":"a"}` + "\n\n" + `{"id":"b"}` + "\r\n\n"))
		_, err := r.Next()
		require.NoError(t, err)
		assert.Equal(t, 1, r.Line())
		assert.EqualValues(t, 11, r.Offset())
		_, err = r.Next()
		require.NoError(t, err)
		assert.Equal(t, 3, r.Line())
		assert.EqualValues(t, 24, r.Offset())
		_, err = r.Next()
		require.ErrorIs(t, err, io.EOF)
		assert.Equal(t, 4, r.Line())
		assert.EqualValues(t, 25, r.Offset())
	})

	t.Run("an error reading the input ends it after the records before it", func(t *testing.T) {
		t.Parallel()
		broken := errors.New("disk gone")
		r := NewJSONLReader(io.MultiReader(strings.NewReader(`{"id":"a"}`+"\n"), iotest.ErrReader(broken)))
		rec, err := r.Next()
		require.NoError(t, err)
		assert.Equal(t, "a", rec.Update.ID)
		_, err = r.Next()
		require.ErrorIs(t, err, broken)
		assert.Equal(t, 1, r.Line())
	})
}

func TestJSONLReaderLongLines(t *testing.T) {
	t.Parallel()

	t.Run("a line longer than 64 KiB is one record", func(t *testing.T) {
		t.Parallel()
		long := `{"id":"big","metadata":{"blob":"` + strings.Repeat("x", 200<<10) + `"}}`
		recs := readRecords(t, `{"id":"a"}`+"\n"+long+"\n"+`{"id":"b"}`+"\n")
		assert.Equal(t, []string{"a", "big", "b"}, idsOf(t, recs))
		blob, _ := recs[1].Update.Metadata.Value()
		assert.Len(t, blob["blob"], 200<<10)
		assert.Equal(t, long, string(recs[1].Raw), "the record is kept whole for the failures file")
	})

	t.Run("a line at the limit is whole, one byte more is too long", func(t *testing.T) {
		t.Parallel()
		prefix := `{"id":"C-1","metadata":{"blob":"`
		atLimit := prefix + strings.Repeat("a", MaxLineBytes-len(prefix)-3) + `"}}`
		require.Len(t, atLimit, MaxLineBytes)
		over := strings.Repeat("b", MaxLineBytes+1)
		recs := readRecords(t, atLimit+"\r\n"+over+"\n"+`{"id":"next"}`+"\n")
		require.Len(t, recs, 3)
		require.NoError(t, recs[0].Err)
		assert.Equal(t, "C-1", recs[0].Update.ID)

		assert.Nil(t, recs[1].Update)
		assert.Nil(t, recs[1].Customer)
		var e *adapter.Error
		require.ErrorAs(t, recs[1].Err, &e)
		assert.Equal(t, adapter.InvalidArgument, e.Code)
		assert.Equal(t, "the line is 1048577 bytes, over the limit of 1048576; only its start is kept in _raw", e.Message)
		assert.Equal(t, `{"_raw":"`+strings.Repeat("b", keptOfLongLine)+`…"}`, string(recs[1].Raw))
		assert.EqualValues(t, MaxLineBytes+2, recs[1].Size)

		assert.Equal(t, "next", recs[2].Update.ID, "reading goes on after a long line")
	})

	t.Run("an overlong line's length leaves out a \\r\\n split between reads", func(t *testing.T) {
		t.Parallel()
		// 17 reads of the buffer hold the line and its \r; the \n comes
		// alone in the next.
		line := strings.Repeat("c", 17*readBufferBytes-1)
		recs := readRecords(t, line+"\r\n")
		require.Len(t, recs, 1)
		assert.ErrorContains(t, recs[0].Err, "the line is 1114111 bytes")
	})

	t.Run("an overlong line's start is cut at a character boundary", func(t *testing.T) {
		t.Parallel()
		recs := readRecords(t, strings.Repeat("é", MaxLineBytes))
		require.Len(t, recs, 1)
		var raw struct {
			Raw string `json:"_raw"`
		}
		require.NoError(t, json.Unmarshal(recs[0].Raw, &raw))
		assert.Equal(t, strings.Repeat("é", keptOfLongLine/2)+"…", raw.Raw)
	})

	t.Run("an overlong line whose start is blank is a record", func(t *testing.T) {
		t.Parallel()
		recs := readRecords(t, strings.Repeat(" ", MaxLineBytes+1)+`{"id":"hidden"}`+"\n")
		require.Len(t, recs, 1)
		assert.ErrorContains(t, recs[0].Err, "over the limit")
	})

	t.Run("a very long line is skipped in bounded memory", func(t *testing.T) {
		t.Parallel()
		r := NewJSONLReader(strings.NewReader(strings.Repeat("x", 8*MaxLineBytes) + "\n" + `{"id":"ok"}` + "\n"))
		rec, err := r.Next()
		require.NoError(t, err)
		assert.ErrorContains(t, rec.Err, "the line is 8388608 bytes")
		assert.EqualValues(t, 8*MaxLineBytes+1, rec.Size)
		assert.Less(t, cap(r.lines.buf), 2*MaxLineBytes, "only the line's start is held")
		rec, err = r.Next()
		require.NoError(t, err)
		assert.Equal(t, "ok", rec.Update.ID)
	})
}

func TestJSONLReaderInvalidLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, line string
		customer   *adapter.CustomerUpdate
	}{
		{name: "an object with an id names its customer", line: `{"id": "C-1", "nmae": "x"}`, customer: &adapter.CustomerUpdate{ID: "C-1"}},
		{name: "an object with an id and a source system names both", line: `{"sourceSystem": "erp", "id": "C-1", "email": 5}`,
			customer: &adapter.CustomerUpdate{ID: "C-1", SourceSystem: "erp"}},
		{name: "an object whose id is not a string names none", line: `{"id": 7, "name": "x"}`},
		{name: "an object whose source system is not a string names none", line: `{"id": "C-1", "sourceSystem": 1}`},
		{name: "an object with an empty id names none", line: `{"id": "", "name": 5}`},
		{name: "an object without an id names none", line: `{"name": 5}`},
		{name: "a line that is not an object names none", line: `id=C-1`},
		{name: "an array names none", line: `[{"id": "C-1"}]`},
		{name: "an object with trailing data names none", line: `{"id": "C-1"} {"id": "C-2"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			recs := readRecords(t, tc.line+"\n")
			require.Len(t, recs, 1)
			rec := recs[0]
			_, parseErr := adapter.ParseCustomerUpdate([]byte(tc.line))
			require.Error(t, parseErr)
			assert.Equal(t, parseErr, rec.Err, "the error is ParseCustomerUpdate's")
			assert.Nil(t, rec.Update)
			assert.Equal(t, tc.customer, rec.Customer)
		})
	}

	t.Run("a valid record names no customer of its own", func(t *testing.T) {
		t.Parallel()
		recs := readRecords(t, `{"id":"C-1","name":"x"}`)
		require.Len(t, recs, 1)
		assert.Nil(t, recs[0].Customer)
		assert.Equal(t, "C-1", recs[0].Update.ID)
	})
}

// failureLine reads line as the only line of an input and returns its
// record and its failures-file line (without the ending) for a NotFound at
// line 7.
func failureLine(t *testing.T, line string) (Record, string) {
	t.Helper()
	r := NewJSONLReader(strings.NewReader(line))
	rec, err := r.Next()
	require.NoError(t, err)
	f := Failure{Line: 7, Vendor: "upwell", ErrorInfo: ErrorInfo{Code: adapter.NotFound, Message: "gone"}}
	out := string(r.AppendFailure(nil, rec, f))
	require.True(t, strings.HasSuffix(out, "}\n"))
	require.Equal(t, 1, strings.Count(out, "\n"), "one line")
	require.True(t, json.Valid([]byte(out)), "a failures line is JSON: %s", out)
	return rec, strings.TrimSuffix(out, "\n")
}

func TestFailuresFileFormat(t *testing.T) {
	t.Parallel()
	const errJSON = `"_error":{"line":7,"vendor":"upwell","code":"NotFound","message":"gone","httpStatus":0,"vendorCode":"","retryable":false}`

	t.Run("an object keeps its members as written and gains _error", func(t *testing.T) {
		t.Parallel()
		rec, out := failureLine(t, `{ "id": "C-1", "metadata": {"n": 12345678901234567890, "b": "<&>"}, "name":"Ä" }`)
		require.NoError(t, rec.Err)
		assert.Equal(t, "C-1", rec.Update.ID)
		assert.Equal(t, `{"id":"C-1","metadata":{"n": 12345678901234567890, "b": "<&>"},"name":"Ä",`+errJSON+`}`, out)
	})

	t.Run("an earlier _error is replaced, not repeated", func(t *testing.T) {
		t.Parallel()
		rec, out := failureLine(t, `{"_error": {"code": "Unavailable"}, "id": "C-1", "name": "Acme"}`)
		require.NoError(t, rec.Err, "_error is not a field of the customer")
		assert.Equal(t, "Acme", mustValue(rec.Update.Name))
		assert.Equal(t, `{"id":"C-1","name":"Acme",`+errJSON+`}`, out)
	})

	t.Run("a line that is not an object is kept under _raw", func(t *testing.T) {
		t.Parallel()
		rec, out := failureLine(t, `id=C-1, name="Acme" <b>`)
		assert.Nil(t, rec.Update)
		assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(rec.Err))
		assert.Equal(t, `{"_raw":"id=C-1, name=\"Acme\" <b>",`+errJSON+`}`, out)
	})

	t.Run("a _raw line fails again the same way, and goes through once fixed", func(t *testing.T) {
		t.Parallel()
		rec1, first := failureLine(t, `[1, 2]`)
		rec2, again := failureLine(t, first)
		assert.Equal(t, first, again)
		assert.Equal(t, rec1.Err.Error(), rec2.Err.Error())

		rec, _ := failureLine(t, `{"_raw": "{\"id\": \"C-1\", \"email\": \"a@b.example\"}", "_error": {"code": "InvalidArgument"}}`)
		require.NoError(t, rec.Err)
		assert.Equal(t, "a@b.example", mustValue(rec.Update.Email))
	})

	t.Run("an invalid customer keeps its object form", func(t *testing.T) {
		t.Parallel()
		rec, out := failureLine(t, `{"id": "C-1", "nmae": "x"}`)
		assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(rec.Err))
		assert.Contains(t, rec.Err.Error(), "nmae")
		assert.Equal(t, `{"id":"C-1","nmae":"x",`+errJSON+`}`, out)
	})

	t.Run("an empty object gains _error alone", func(t *testing.T) {
		t.Parallel()
		_, out := failureLine(t, `{}`)
		assert.Equal(t, `{`+errJSON+`}`, out)
	})

	t.Run("invalid UTF-8 outside an object becomes U+FFFD", func(t *testing.T) {
		t.Parallel()
		_, out := failureLine(t, "a\xffb")
		// encoding/json writes U+FFFD escaped before Go 1.27 and as it is
		// from then on: both are the same JSON text.
		assert.Contains(t, []string{`{"_raw":"a\ufffdb",` + errJSON + `}`, `{"_raw":"a` + "\uFFFD" + `b",` + errJSON + `}`}, out)
		var got struct {
			Raw string `json:"_raw"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		assert.Equal(t, "a\uFFFDb", got.Raw)
	})

	t.Run("an overlong line keeps its start under _raw", func(t *testing.T) {
		t.Parallel()
		_, out := failureLine(t, strings.Repeat("é", MaxLineBytes))
		assert.Equal(t, `{"_raw":"`+strings.Repeat("é", keptOfLongLine/2)+`…",`+errJSON+`}`, out)
	})

	t.Run("every key of the failure is written, field and requestId when known", func(t *testing.T) {
		t.Parallel()
		r := NewJSONLReader(strings.NewReader(`{"id":"C-1"}`))
		rec, err := r.Next()
		require.NoError(t, err)
		f := Failure{Line: 3, Vendor: "billbee", ErrorInfo: ErrorInfo{Code: adapter.InvalidArgument, Message: "bad <email>", HTTPStatus: 400,
			VendorCode: "E12", Retryable: true, Field: "email", RequestID: "r-1"}}
		assert.Equal(t, `{"id":"C-1","_error":{"line":3,"vendor":"billbee","code":"InvalidArgument","message":"bad <email>","httpStatus":400,"vendorCode":"E12","retryable":true,"field":"email","requestId":"r-1"}}`+"\n",
			string(r.AppendFailure(nil, rec, f)))
	})

	t.Run("a record without its object is written with an empty _raw", func(t *testing.T) {
		t.Parallel()
		out := NewJSONLReader(strings.NewReader("")).AppendFailure(nil, Record{Line: 7}, Failure{Line: 7, Vendor: "upwell", ErrorInfo: ErrorInfo{Code: adapter.NotFound, Message: "gone"}})
		assert.Equal(t, `{"_raw":"",`+errJSON+"}\n", string(out))
	})

	t.Run("the line is appended to what dst holds", func(t *testing.T) {
		t.Parallel()
		r := NewJSONLReader(strings.NewReader(`{"id":"C-1"}`))
		rec, err := r.Next()
		require.NoError(t, err)
		out := r.AppendFailure([]byte("before\n"), rec, Failure{})
		assert.True(t, strings.HasPrefix(string(out), "before\n{\"id\":\"C-1\",\"_error\":"))
	})

	t.Run("a failures file read again gives the same records and the same lines", func(t *testing.T) {
		t.Parallel()
		input := `{"id":"C-1","name":"Acme"}` + "\n" + `nonsense` + "\n\n" + `{"id":"C-2","nmae":"x"}` + "\n"
		first := failAll(t, input)
		again := failAll(t, first)
		assert.Equal(t, first, again)
		assert.Equal(t, 3, strings.Count(first, "\n"))
	})
}

// failAll reads input and returns its failures file with every record
// failed as NotFound at its line.
func failAll(t *testing.T, input string) string {
	t.Helper()
	r := NewJSONLReader(strings.NewReader(input))
	var out []byte
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return string(out)
		}
		require.NoError(t, err)
		out = r.AppendFailure(out, rec, Failure{Line: 1, Vendor: "upwell", ErrorInfo: ErrorInfo{Code: adapter.NotFound}})
	}
}

func mustValue[T any](f adapter.Field[T]) T {
	v, _ := f.Value()
	return v
}

// BenchmarkJSONLReader reads typical customer lines: what reading costs a
// run per record, parsing included.
func BenchmarkJSONLReader(b *testing.B) {
	const lines = 10_000
	var sb strings.Builder
	for i := range lines {
		fmt.Fprintf(&sb, `{"id":"C-%06d","sourceSystem":"erp","name":"Acme Corporation %d","email":"billing%d@acme.example","phone":"+49 30 1234567",`+
			`"vatId":"DE123456789","metadata":{"segment":"b2b","score":12345},"modifiedAt":"2026-11-30T22:00:00Z"}`+"\n", i, i, i)
	}
	input := sb.String()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewJSONLReader(strings.NewReader(input))
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || rec.Err != nil {
				b.Fatal(err, rec.Err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
}

// compactCases are objects and near-objects whose failures-file form the
// shortcut must get right, or leave to the decoder.
var compactCases = []string{
	`{"id": "C-1", "name": "Acme"}`,
	` { "id" : "C-1" , "billbee" : { "type" : 1 , "x" : [ 1 , "a}" ] } } `,
	`{"id":"C-1","_error":{"code":"NotFound"},"name":"x"}`,
	`{"_error":{}}`,
	`{}`,
	`{"id": "C-\"1\\", "n": "é\u2028"}`,
	`{"i\u0064": "C-1"}`,
	`{"ïd": "C-1"}`,
	`{"id": 1e400, "n": -0.0, "t": true, "f": false, "z": null}`,
	`{"id": "C-1"} {"id": "C-2"}`,
	`{"id": "C-1",}`,
	`{"id": tru}`,
	`["id"]`,
	`"id"`,
	`{"id": "C-1"`,
	"{\"id\":\t\"C-1\"\r\n}",
	`{"a":{"b":{"c":[[],{}]}},"d":"}]\\"}`,
}

func TestTheFailuresFormOfAnObjectNeedsNoDecoder(t *testing.T) {
	t.Parallel()
	for _, c := range compactCases {
		t.Run(c+" reads as the decoder reads it", func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, string(decodedFailuresObject([]byte(c))), string(failuresObject([]byte(c))))
		})
	}
}

func FuzzCompactObjectAgreesWithTheDecoder(f *testing.F) {
	for _, c := range compactCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, obj []byte) {
		if got, ok := compactObject(obj); ok {
			if want := decodedFailuresObject(obj); string(got) != string(want) {
				t.Fatalf("compactObject(%q) = %q, the decoder says %q", obj, got, want)
			}
		}
	})
}

func TestAFailuresLineDiffersFromTheLastOnlyWhereItsFailureDoes(t *testing.T) {
	t.Parallel()
	var enc failureEncoder
	notSent := Failure{Line: 7, Vendor: "upwell", ErrorInfo: ErrorInfo{Code: adapter.Canceled, Message: "not sent"}}
	notFound := Failure{Line: 12345, Vendor: "upwell", ErrorInfo: ErrorInfo{Code: adapter.NotFound, Message: "gone", HTTPStatus: 404, RequestID: "r-1"}}
	for i, f := range []Failure{notSent, {Line: 8, Vendor: "upwell", ErrorInfo: notSent.ErrorInfo}, notFound, notSent, {Line: 0, Vendor: "upwell", ErrorInfo: notSent.ErrorInfo}} {
		got := enc.appendFailure([]byte("prefix:"), []byte(`{"id":"C-1"}`), f)
		want, err := json.Marshal(f)
		require.NoError(t, err)
		assert.Equal(t, `prefix:{"id":"C-1","_error":`+string(want)+"}\n", string(got), "failure %d", i)
	}
}
