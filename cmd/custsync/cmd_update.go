package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/internal/redact"
	"io"
	"os"
	"strings"

	"github.com/custsync/custsync/adapter"
)

const updateUsage = `Usage: custsync update --vendor upwell|bluetape|billbee [--file PATH|-] [flags]

Updates one customer at one vendor. The input is one JSON object in
custsync's canonical form: a missing key leaves the field unchanged, null
clears it, a value sets it; vendor-only fields sit in an object named after
the vendor. Unknown keys are refused.

  {"id": "100000150176895", "name": "Max Mustermann GmbH", "vatId": null, "billbee": {"type": 1}}

Prints one line saying what was done, or with --json one JSON object:
  {"vendor", "id", "vendorId", "status", "requestId", "attempts", "sent", "dropped", "mismatches",
   "unchanged", "dryRun"}
Upwell and Billbee answer with the record as stored: a field stored
otherwise than sent is listed as a mismatch {"field", "sent", "stored"}
(and warned about on stderr); --strict makes it a failure (exit 1; the
update was applied). Case-only e-mail, format-only phone and spacing-only
VAT id differences are normalisations, not mismatches.
"unchanged" is true when the vendor already held every value and nothing
was written (Billbee, after its read: one request instead of two).

--dry-run sends no write. Billbee reads the customer and prints each field
the update would change, with its current and new value; Upwell and
BlueTape (which have no documented read) print the request body that would
be sent. With --json, "dryRun" holds {"method", "path", "body", "changes":
[{"field", "vendorField", "current", "new"}]}.
On failure it prints the vendor, the portable error code and the vendor's
message on stderr (and with --json an object {"vendor", "id", "error"} on
stdout) and exits 1; invalid input exits 2 and nothing is sent.

Flags:
%flags%
Examples:
  custsync update --sandbox --vendor billbee --file examples/customer.json
  echo '{"id": "C-1001", "email": "ap@acme.example"}' | custsync update --vendor upwell --json
  custsync update --sandbox --vendor billbee --file examples/customer.json --dry-run
`

// maxUpdateInput caps what update reads: a customer is a few KiB, so
// anything near this is not one.
const maxUpdateInput = bulk.MaxLineBytes

func (a *app) update(args []string) int {
	fs := newFlagSet("update", updateUsage)
	var tf targetFlags
	tf.register(fs)
	file := fs.String("file", "-", "read the customer from `PATH`; - is standard input")
	asJSON := fs.Bool("json", false, "print the result (or the error) as one JSON object on stdout")
	dryRun := fs.Bool("dry-run", false, "send no write: Billbee reads the customer and prints what would change\n(field, current value, new value); Upwell and BlueTape print the request body")
	if code, done := a.parse(fs, args); done {
		return code
	}
	vendor, err := tf.check()
	if err != nil {
		return a.fail("update", err)
	}
	t, err := openTarget(vendor, tf, a.stderr)
	if err != nil {
		return a.fail("update", err)
	}
	defer t.close()

	data, err := readUpdateInput(*file, a.stdin)
	if err != nil {
		return a.fail("update", err)
	}
	u, err := adapter.ParseCustomerUpdate(data)
	if err != nil {
		return a.updateFailed(t, "", withVendor(err, t.vendor), *asJSON)
	}
	res, err := t.client.Update(a.stop, u, adapter.WithDryRun(*dryRun))
	if err != nil {
		return a.updateFailed(t, u.ID, err, *asJSON)
	}
	if *asJSON {
		writeJSON(a.stdout, newUpdateOutput(res))
		return exitOK
	}
	fmt.Fprintln(a.stdout, summarizeResult(res))
	if n := len(res.Mismatches); n > 0 {
		fmt.Fprintf(a.stderr, "custsync update: warning: %s stored %d %s otherwise than sent (--strict makes this a failure)\n",
			res.Vendor, n, plural(n, "field", "fields"))
	}
	return exitOK
}

// readUpdateInput reads the whole input, refusing more than
// maxUpdateInput bytes. An unreadable file is a usage error.
func readUpdateInput(path string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("cannot read the input: %v", err)
		}
		defer f.Close() //nolint:errcheck // only read: closing it cannot lose anything
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxUpdateInput+1))
	if err != nil {
		return nil, usagef("cannot read the input: %v", err)
	}
	// A UTF-8 byte order mark, as editors on Windows write, is not part of
	// the JSON; push skips it on its first line too.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(data) > maxUpdateInput {
		return nil, usagef("the input is larger than %d bytes; update takes one customer (use push for a JSONL file)", maxUpdateInput)
	}
	if strings.TrimSpace(string(data)) == "" {
		return nil, usagef("the input is empty; want one JSON object such as {\"id\": \"C-1001\", \"name\": \"Acme Corp\"}")
	}
	return data, nil
}

// updateFailed reports a failed update: stderr always names the vendor,
// the portable code and the vendor's message (the adapter's Error does);
// --json adds the error object on stdout. Invalid input, refused before
// anything was sent, exits 2 as bad usage does.
func (a *app) updateFailed(t *target, id string, err error, asJSON bool) int {
	code := exitFailed
	switch {
	case nothingSent(err):
		code = exitUsage
		fmt.Fprintf(a.stderr, "custsync update: invalid input, nothing sent: %v\n", err)
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(a.stderr, "custsync update: %s: interrupted; the update may or may not have been applied\n", t.vendor)
	default:
		msg := err.Error()
		if !strings.HasPrefix(msg, string(t.vendor)) {
			msg = string(t.vendor) + ": " + msg
		}
		fmt.Fprintf(a.stderr, "custsync update: %s\n", msg)
		if e := (*adapter.Error)(nil); errors.As(err, &e) && e.Config {
			fmt.Fprintf(a.stderr, "custsync update: %s\n", checkHint(t.vendor, redact.ConnString(t.client.BaseURL()), err))
		}
	}
	if asJSON {
		writeJSON(a.stdout, updateErrorOutput{
			Vendor: string(t.vendor),
			ID:     id,
			Error:  updateErrorInfo{ErrorInfo: bulk.Describe(err), Attempts: attemptsOf(err), Mismatches: mismatchesOf(err)},
		})
	}
	return code
}

// updateOutput is update --json's success object. It is the command's
// contract, so it is spelled out here rather than borrowed from
// adapter.Result's tags.
type updateOutput struct {
	Vendor    string   `json:"vendor"`
	ID        string   `json:"id"`
	VendorID  string   `json:"vendorId"`
	Status    int      `json:"status"`
	RequestID string   `json:"requestId"`
	Attempts  int      `json:"attempts"`
	Sent      []string `json:"sent"`
	Dropped   []string `json:"dropped"`
	// Mismatches are the fields the vendor's answer shows stored otherwise
	// than sent: {"field", "sent", "stored"}, the values as JSON.
	Mismatches []adapter.Mismatch `json:"mismatches"`
	// Unchanged: the vendor already held these values and nothing was
	// written (Billbee, after its read).
	Unchanged bool `json:"unchanged"`
	// DryRun is what --dry-run would have written.
	DryRun *adapter.DryRunReport `json:"dryRun,omitempty"`
}

func newUpdateOutput(r *adapter.Result) updateOutput {
	return updateOutput{
		Vendor: r.Vendor, ID: r.ID, VendorID: r.VendorID, Status: r.HTTPStatus,
		RequestID: r.RequestID, Attempts: r.Attempts,
		Sent: nonNil(r.Sent), Dropped: nonNil(r.Dropped), Mismatches: nonNilMismatches(r.Mismatches),
		Unchanged: r.Unchanged, DryRun: r.DryRun,
	}
}

func nonNilMismatches(list []adapter.Mismatch) []adapter.Mismatch {
	if list == nil {
		return []adapter.Mismatch{}
	}
	return list
}

// updateErrorOutput is update --json's failure object.
type updateErrorOutput struct {
	Vendor string          `json:"vendor"`
	ID     string          `json:"id"`
	Error  updateErrorInfo `json:"error"`
}

type updateErrorInfo struct {
	bulk.ErrorInfo
	Attempts int `json:"attempts"`
	// Mismatches are set when --strict failed an update the vendor applied.
	Mismatches []adapter.Mismatch `json:"mismatches,omitempty"`
}

func mismatchesOf(err error) []adapter.Mismatch {
	var e *adapter.Error
	if errors.As(err, &e) {
		return e.Mismatches
	}
	return nil
}

// summarizeResult is the one-line human summary of an update:
//
//	billbee 100000150176895: updated (vendor id 100000150176895, HTTP 200, 2 attempts; sent name, email; dropped none)
//
// followed, when the vendor stored a field otherwise than sent, by
// "; stored otherwise: name (sent "Maximilian", stored "Max")".
func summarizeResult(r *adapter.Result) string {
	if r.DryRun != nil {
		return summarizeDryRun(r)
	}
	var b strings.Builder
	verb := "updated"
	if r.Unchanged {
		verb = "unchanged, nothing written"
	}
	fmt.Fprintf(&b, "%s %s: %s (", r.Vendor, r.ID, verb)
	if r.VendorID != "" {
		fmt.Fprintf(&b, "vendor id %s, ", r.VendorID)
	}
	fmt.Fprintf(&b, "HTTP %d, %d %s", r.HTTPStatus, r.Attempts, plural(r.Attempts, "attempt", "attempts"))
	if r.RequestID != "" {
		fmt.Fprintf(&b, ", request id %s", r.RequestID)
	}
	fmt.Fprintf(&b, "; sent %s; dropped %s)", listOrNone(r.Sent), listOrNone(r.Dropped))
	if len(r.Mismatches) > 0 {
		parts := make([]string, len(r.Mismatches))
		for i, m := range r.Mismatches {
			parts[i] = fmt.Sprintf("%s (sent %s, stored %s)", m.Field, m.Sent, m.Stored)
		}
		fmt.Fprintf(&b, "; stored otherwise: %s", strings.Join(parts, ", "))
	}
	return b.String()
}

// summarizeDryRun says what a dry run would have written:
//
//	billbee 100000150176895: dry run, nothing written; PUT /api/v1/customers/100000150176895 would change 2 fields:
//	  name (Name): "Max" -> "Max Mustermann"
//	  vatId (VatId): "1234" -> null
//
// and for vendors without a read, the body that would be sent.
func summarizeDryRun(r *adapter.Result) string {
	d := r.DryRun
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: dry run, nothing written; ", r.Vendor, r.ID)
	switch {
	case r.Unchanged:
		fmt.Fprintf(&b, "%s already holds these values: no write would be sent", r.Vendor)
	case d.Changes != nil:
		fmt.Fprintf(&b, "%s %s would change %d %s:", d.Method, d.Path, len(d.Changes), plural(len(d.Changes), "field", "fields"))
		for _, c := range d.Changes {
			b.WriteString("\n  " + changeLine(c))
		}
	default:
		fmt.Fprintf(&b, "would send %s %s with the body\n", d.Method, d.Path)
		var pretty bytes.Buffer
		if json.Indent(&pretty, d.Body, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(d.Body)
		}
		b.Write(pretty.Bytes())
	}
	return b.String()
}

// changeLine is one field a write would change: `name (Name): "Max" -> "Max Mustermann"`.
func changeLine(c adapter.Change) string {
	name := c.VendorField
	if c.Field != "" {
		name = c.Field + " (" + c.VendorField + ")"
	}
	return fmt.Sprintf("%s: %s -> %s", name, c.Current, c.New)
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// writeJSON writes v as one line of JSON. Encoding the command's own
// structs cannot fail.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
