package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// cp1252 is text as a Windows ERP writes it: Windows-1252, no byte order
// mark.
func cp1252(t *testing.T, text string) string {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	require.NoError(t, err)
	return string(b)
}

// csvRows reads a CSV file in Windows-1252 with semicolons: its header,
// then its rows.
func csvRows(t *testing.T, path string) [][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	text, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	require.NoError(t, err)
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = ';'
	rows, err := r.ReadAll()
	require.NoError(t, err)
	return rows
}

// rowError reads the _error cell of a failures file's row.
func rowError(t *testing.T, row []string) failureInfoJSON {
	t.Helper()
	var f failureInfoJSON
	require.NoError(t, json.Unmarshal([]byte(row[len(row)-1]), &f), "the last cell holds the failure: %q", row)
	return f
}

// pushCSV runs push against srv for vendor v with the CSV file input.
func pushCSV(t *testing.T, srv *sandbox.Server, v specs.Vendor, dir, input string, args ...string) outcome {
	t.Helper()
	return runBinary(t, invocation{
		args: append([]string{"push", "--vendor", string(v), "--base-url", srv.URL(v), "--file", input}, args...),
		env:  demoEnv(v),
		dir:  dir,
	})
}

func TestPushAWindowsERPExportMappedByAFileToEachVendor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vendor       specs.Vendor
		mapping, csv string
		// check holds the sandbox to exactly the mapped values; before is
		// each customer as the sandbox held it before the push.
		check func(t *testing.T, srv *sandbox.Server, before map[string]map[string]any)
	}{
		{
			vendor: specs.Upwell,
			mapping: `columns:
  Kundennummer: id
  Firma: name
  E-Mail: email
  Weitere E-Mails: {field: ccEmails, separator: "|"}
  Zahlungsziel: upwell.dueOption
  Zusatzdaten: metadata
ignore: [Bemerkung]
nullMarker: '\N'
`,
			csv: "Kundennummer;Firma;E-Mail;Weitere E-Mails;Zahlungsziel;Zusatzdaten;Bemerkung\r\n" +
				"C-1001;Müller & Söhne GmbH;buchhaltung@mueller.example;a@mueller.example | b@mueller.example;45;\"{\"\"segment\"\":\"\"Mittelstand\"\",\"\"größe\"\":12}\";intern\r\n" +
				"C-1002;;;\\N;;\\N;\r\n",
			check: func(t *testing.T, srv *sandbox.Server, before map[string]map[string]any) {
				got, ok := srv.Customer(specs.Upwell, "C-1001")
				require.True(t, ok)
				assert.Equal(t, "Müller & Söhne GmbH", got["name"])
				assert.Equal(t, "buchhaltung@mueller.example", got["emailAddress"])
				assert.Equal(t, []any{"a@mueller.example", "b@mueller.example"}, got["ccEmailAddresses"])
				assert.Equal(t, map[string]any{"segment": "Mittelstand", "größe": json.Number("12")}, got["metadata"])
				assert.Equal(t, json.Number("45"), got["customerRule"].(map[string]any)["dueOption"])

				west, ok := srv.Customer(specs.Upwell, "C-1002")
				require.True(t, ok)
				for _, untouched := range []string{"name", "emailAddress", "customerRule"} {
					assert.Equal(t, before["C-1002"][untouched], west[untouched], "%s: an empty cell leaves it", untouched)
				}
				assert.Empty(t, west["ccEmailAddresses"], "the null marker clears it")
				assert.Nil(t, west["metadata"], "the null marker clears it")
			},
		},
		{
			vendor: specs.BlueTape,
			mapping: `{
	"columns": {
		"Kundennummer": "id", "Vorname": "firstName", "Nachname": "lastName",
		"E-Mail": "email", "Mobil": "phone", "Geändert": "modifiedAt"
	}
}
`,
			csv: "Kundennummer;Vorname;Nachname;E-Mail;Mobil;Geändert\r\n" +
				"dc506b22c7fa;Jürgen;Weiß;juergen.weiss@example.com;+4915112345678;2026-12-01 10:03:27+01:00\r\n",
			check: func(t *testing.T, srv *sandbox.Server, _ map[string]map[string]any) {
				got, ok := srv.Customer(specs.BlueTape, "dc506b22c7fa")
				require.True(t, ok)
				assert.Equal(t, "Jürgen", got["firstName"])
				assert.Equal(t, "Weiß", got["lastName"])
				assert.Equal(t, "juergen.weiss@example.com", got["emailAddress"])
				assert.Equal(t, "+4915112345678", got["cellPhoneNumber"])
				assert.Equal(t, "2026-12-01T09:03:27.000Z", got["sourceModifiedDate"])
			},
		},
		{
			vendor: specs.Billbee,
			mapping: `columns:
  Kundennummer: id
  Firma: name
  E-Mail: email
  Telefon: phone
  USt-IdNr.: {field: vatId, nullMarker: "-"}
  Preisgruppe: billbee.priceGroupId
  Sprache: billbee.languageId
  Kundentyp: billbee.type
  Nummer: billbee.number
`,
			csv: "Kundennummer;Firma;E-Mail;Telefon;USt-IdNr.;Preisgruppe;Sprache;Kundentyp;Nummer\r\n" +
				"100000150176895;Bäckerei Müller;;;-;2;1;1;4711\r\n",
			check: func(t *testing.T, srv *sandbox.Server, before map[string]map[string]any) {
				got, ok := srv.Customer(specs.Billbee, "100000150176895")
				require.True(t, ok)
				assert.Equal(t, "Bäckerei Müller", got["Name"])
				assert.Nil(t, got["VatId"], "the column's null marker clears it")
				assert.Equal(t, json.Number("2"), got["PriceGroupId"])
				assert.Equal(t, json.Number("1"), got["LanguageId"])
				assert.Equal(t, json.Number("1"), got["Type"])
				assert.Equal(t, json.Number("4711"), got["Number"])
				assert.Equal(t, before["100000150176895"]["Email"], got["Email"], "an empty cell leaves it")
				assert.Equal(t, before["100000150176895"]["Tel1"], got["Tel1"], "an empty cell leaves it")
			},
		},
	} {
		t.Run(string(tc.vendor), func(t *testing.T) {
			t.Parallel()
			srv := newSandbox(t)
			before := map[string]map[string]any{}
			for _, id := range []string{"C-1002", "100000150176895"} {
				if c, ok := srv.Customer(tc.vendor, id); ok {
					before[id] = c
				}
			}
			dir := t.TempDir()
			mapping := writeFile(t, dir, "kunden-map.yaml", tc.mapping)
			input := writeFile(t, dir, "kunden.csv", cp1252(t, tc.csv))
			out := pushCSV(t, srv, tc.vendor, dir, input, "--map", mapping, "--encoding", "windows-1252")
			require.Equal(t, exitOK, out.code, out.stderr)
			rows := strings.Count(tc.csv, "\r\n") - 1
			assert.Contains(t, out.stdout, "push: "+strconv.Itoa(rows)+" succeeded, 0 failed, 0 not sent in ")
			tc.check(t, srv, before)
		})
	}
}

func TestPushRefusesACSVItCannotReadWholeSendingNothing(t *testing.T) {
	t.Parallel()
	mapping := "columns:\n  Kundennummer: id\n  Firma: name\nignore: [Bemerkung]\n"
	for _, tc := range []struct {
		name, csv string
		args      []string
		want      string
	}{
		{name: "an unmapped column is named",
			csv:  "Kundennummer;Firma;Telefon;Bemerkung\r\nC-1001;Acme;123;x\r\n",
			want: `custsync push: kunden.csv: column "Telefon" is in neither the mapping's columns nor its ignore list: map it to a field, or ignore it; nothing was sent`},
		{name: "a file in another encoding than named is refused at its first byte, however late",
			csv:  "Kundennummer;Firma;Bemerkung\r\nC-1001;Acme;\r\nC-1002;M\xfcller;\r\n",
			want: "custsync push: kunden.csv: line 3: byte 0xFC is not UTF-8 (is the input in another encoding, such as windows-1252?); nothing was sent: if the export is in another encoding than utf-8, name it with --encoding"},
		{name: "a quote out of place is refused, however late",
			csv:  "Kundennummer;Firma;Bemerkung\r\nC-1001;Acme;\r\nC-1002;Acme \"West\";\r\n",
			want: "custsync push: kunden.csv: parse error on line 3, column 13: bare \" in non-quoted-field; nothing was sent"},
		{name: "CSV flags on JSON lines are refused",
			csv: "{}", args: []string{"--format", "jsonl"},
			want: "custsync push: --map is for CSV and TSV input, and kunden.csv is read as JSON lines: name its format with --format csv or tsv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, requests := countingServer(t)
			dir := t.TempDir()
			writeFile(t, dir, "map.yaml", mapping)
			writeFile(t, dir, "kunden.csv", tc.csv)
			out := runBinary(t, invocation{
				args: append([]string{"push", "--vendor", "upwell", "--base-url", srv.URL, "--file", "kunden.csv", "--map", "map.yaml"}, tc.args...),
				env:  demoEnv(specs.Upwell), dir: dir,
			})
			assert.Equal(t, exitUsage, out.code)
			assert.Contains(t, out.stderr, tc.want)
			assert.Zero(t, requests.Load(), "nothing may be sent")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, entries, 2, "no failures file, no temporary file")
		})
	}
}

func TestPushCSVFromStandardInput(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	dir := t.TempDir()
	out := runBinary(t, invocation{
		args:  []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", "-", "--format", "csv"},
		env:   demoEnv(specs.Upwell),
		dir:   dir,
		stdin: "id,name,upwell.dueOption\nC-1001,Acme from a pipe,60\nS-99999,Nobody,\n",
	})
	require.Equal(t, exitFailed, out.code, out.stderr)
	assert.Contains(t, out.stdout, "push: 1 succeeded, 1 failed, 0 not sent in ")
	got, ok := srv.Customer(specs.Upwell, "C-1001")
	require.True(t, ok)
	assert.Equal(t, "Acme from a pipe", got["name"])

	failures := failuresFileNamed(t, out.stdout)
	assert.Regexp(t, `^failures-upwell-\d{8}T\d{6}Z\.csv$`, failures, "in the working directory, named for its format")
	data, err := os.ReadFile(filepath.Join(dir, failures))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "id,name,upwell.dueOption,_error\nS-99999,Nobody,,"), "%s", data)
	assert.Contains(t, out.stdout, "push again: custsync push --vendor upwell --base-url "+srv.URL(specs.Upwell)+" --file "+failures,
		"the failures file's name says its format")
}

func TestPushCSVRoundTripsALineBreakInAQuotedCell(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(3))
	dir := t.TempDir()
	writeFile(t, dir, "map.yaml", "columns:\n  Nr: id\n  Firma: name\n  Daten: metadata\nignore: [Notiz]\n")
	// C-1001's metadata is a JSON object over four lines, its note over
	// two; the vendor fails its every attempt (one call, two retries).
	input := writeFile(t, dir, "kunden.csv", cp1252(t, "Nr;Firma;Daten;Notiz\r\n"+
		"C-1001;Acme Nord;\"{\r\n  \"\"segment\"\": \"\"Nord\"\",\r\n  \"\"ab\"\": 2027\r\n}\";\"Bitte\r\nzurückrufen\"\r\n"+
		"S-00002;Zwei;;\r\n"))
	srv.FailNext(specs.Upwell, 3, sandbox.FaultInternalError)
	out := pushCSV(t, srv, specs.Upwell, dir, input, "--map", "map.yaml", "--encoding", "windows-1252",
		"--record-attempts", "1", "--concurrency", "1", "--setup-check", "0")
	require.Equal(t, exitFailed, out.code, out.stderr)
	assert.Contains(t, out.stdout, "push: 1 succeeded, 1 failed, 0 not sent in ")

	failures := failuresFileNamed(t, out.stdout)
	rows := csvRows(t, failures)
	require.Len(t, rows, 2, "the header and the failed row")
	assert.Equal(t, []string{"Nr", "Firma", "Daten", "Notiz", "_error"}, rows[0])
	assert.Equal(t, []string{"C-1001", "Acme Nord", "{\n  \"segment\": \"Nord\",\n  \"ab\": 2027\n}", "Bitte\nzurückrufen"}, rows[1][:4],
		"the cells as read, line breaks and all")
	failed := rowError(t, rows[1])
	assert.Equal(t, "Internal", failed.Code)
	assert.Equal(t, 2, failed.Line)
	raw, err := os.ReadFile(failures)
	require.NoError(t, err)
	assert.Contains(t, string(raw), "\"Bitte\r\nzur\xfcckrufen\"", "in the export's encoding and line endings")

	// The failures file, pushed again as it is, with the same flags.
	again := pushCSV(t, srv, specs.Upwell, dir, failures, "--map", "map.yaml", "--encoding", "windows-1252")
	require.Equal(t, exitOK, again.code, again.stderr)
	assert.Contains(t, again.stdout, "push: 1 succeeded, 0 failed, 0 not sent in ")
	got, ok := srv.Customer(specs.Upwell, "C-1001")
	require.True(t, ok)
	assert.Equal(t, "Acme Nord", got["name"])
	assert.Equal(t, map[string]any{"segment": "Nord", "ab": json.Number("2027")}, got["metadata"])
}

func TestPushCSVSyncsIncrementallyWithSeveralRowsPerCustomer(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(5))
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	// Each customer takes two rows: its name, then its e-mail.
	export := func(name3 string) string {
		var b strings.Builder
		b.WriteString("id;name;email\n")
		for i := 1; i <= 5; i++ {
			id := sandbox.SyntheticID(specs.Upwell, i)
			name := "Kunde " + strconv.Itoa(i)
			if i == 3 {
				name = name3
			}
			b.WriteString(id + ";" + name + ";\n" + id + ";;k" + strconv.Itoa(i) + "@example.com\n")
		}
		return b.String()
	}
	input := writeFile(t, dir, "kunden.csv", export("Kunde 3"))
	first := pushCSV(t, srv, specs.Upwell, dir, input, "--state", state)
	require.Equal(t, exitOK, first.code, first.stderr)
	assert.Contains(t, first.stdout, "push: 10 succeeded, 0 unchanged, 0 failed, 0 not sent in ")

	requests := srv.Stats(specs.Upwell).Requests
	same := pushCSV(t, srv, specs.Upwell, dir, input, "--state", state)
	require.Equal(t, exitOK, same.code, same.stderr)
	assert.Contains(t, same.stdout, "push: 0 succeeded, 10 unchanged, 0 failed, 0 not sent in ")
	assert.Equal(t, requests, srv.Stats(specs.Upwell).Requests, "nothing sent")

	writeFile(t, dir, "kunden.csv", export("Kunde drei"))
	changed := pushCSV(t, srv, specs.Upwell, dir, input, "--state", state)
	require.Equal(t, exitOK, changed.code, changed.stderr)
	assert.Contains(t, changed.stdout, "push: 2 succeeded, 8 unchanged, 0 failed, 0 not sent in ",
		"the changed customer's rows, from the first that differs, in order")
	got, ok := srv.Customer(specs.Upwell, sandbox.SyntheticID(specs.Upwell, 3))
	require.True(t, ok)
	assert.Equal(t, "Kunde drei", got["name"])
	assert.Equal(t, "k3@example.com", got["emailAddress"])

	dry := pushCSV(t, srv, specs.Upwell, dir, input, "--state", state, "--dry-run")
	require.Equal(t, exitOK, dry.code, dry.stderr)
	assert.Contains(t, dry.stdout, "push: dry run, nothing written: 0 would be sent, 10 unchanged, 0 failed, 0 not sent in ")
}

func TestPushTheREADMEsERPExample(t *testing.T) {
	t.Parallel()
	// Copies, so that a run cannot leave a failures file in the repository.
	dir := t.TempDir()
	for _, name := range []string{"kunden.csv", "kunden-map.yaml"} {
		data, err := os.ReadFile(repoFile(t, "examples/"+name))
		require.NoError(t, err)
		writeFile(t, dir, name, string(data))
	}
	push := func(args ...string) outcome {
		return runBinary(t, invocation{args: append([]string{"push", "--sandbox", "--vendor", "billbee", "--file", "kunden.csv", "--map", "kunden-map.yaml"}, args...), dir: dir})
	}
	out := push("--encoding", "windows-1252")
	require.Equal(t, exitOK, out.code, out.stderr)
	assert.Contains(t, out.stdout, "push: 3 succeeded, 0 failed, 0 not sent in ")

	out = push()
	assert.Equal(t, exitUsage, out.code)
	assert.Contains(t, out.stderr, "custsync push: kunden.csv: line 3: byte 0xE4 is not UTF-8 (is the input in another encoding, such as windows-1252?); nothing was sent: ",
		"as the README shows it")
}

func TestPushRefusesAFailuresFileNamedForAnotherFormat(t *testing.T) {
	t.Parallel()
	srv, requests := countingServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "kunden.csv", "id;name\nC-1001;Acme\n")
	out := runBinary(t, invocation{
		args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL, "--file", "kunden.csv", "--failures", "failed.jsonl"},
		env:  demoEnv(specs.Upwell), dir: dir,
	})
	assert.Equal(t, exitUsage, out.code)
	assert.Contains(t, out.stderr, "--failures failed.jsonl: the failures file of this push is csv, in the input's own format, and its name would have it read as jsonl when pushed again; name it .csv")
	assert.Zero(t, requests.Load())
}

// Excel's "Unicode text" is UTF-16 with a byte order mark, tab-separated.
func TestPushExcelsUnicodeText(t *testing.T) {
	t.Parallel()
	utf16le := func(s string) string {
		b := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return string(b)
	}
	srv := newSandbox(t)
	dir := t.TempDir()
	input := writeFile(t, dir, "kunden.tsv", utf16le("Nr\tFirma\r\nC-1001\tGrüße & Co. 😀\r\nS-99999\tNiemand\r\n"))
	writeFile(t, dir, "map.json", `{"columns": {"Nr": "id", "Firma": "name"}}`)
	out := pushCSV(t, srv, specs.Upwell, dir, input, "--map", "map.json", "--encoding", "utf-16")
	require.Equal(t, exitFailed, out.code, out.stderr)
	got, ok := srv.Customer(specs.Upwell, "C-1001")
	require.True(t, ok)
	assert.Equal(t, "Grüße & Co. 😀", got["name"])

	failures := failuresFileNamed(t, out.stdout)
	assert.True(t, strings.HasSuffix(failures, ".tsv"), failures)
	raw, err := os.ReadFile(failures)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(raw), utf16le("Nr\tFirma\t_error\r\nS-99999\tNiemand\t")), "UTF-16 with its mark, tabs, CRLF")
}

// The guard counts a CSV export with the CSV reader, as the push reads it:
// half the rows clear their e-mail through the null marker, and the push
// is refused before a request; under the limit the same export goes.
func TestPushMaxChangesGuardsACSVExport(t *testing.T) {
	t.Parallel()
	const n = 20
	var b strings.Builder
	b.WriteString("Kundennummer;Firma;E-Mail\r\n")
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("ap%d@example.com", i)
		if i%2 == 0 {
			email = `\N`
		}
		fmt.Fprintf(&b, "%s;Firma %d;%s\r\n", sandbox.SyntheticID(specs.Upwell, i), i, email)
	}
	mapping := "columns:\n  Kundennummer: id\n  Firma: name\n  E-Mail: email\n"
	for _, tc := range []struct {
		limit    string
		code     int
		requests int64
	}{
		{"10%", exitRefused, 0},
		{"100%", exitOK, n},
	} {
		t.Run(tc.limit, func(t *testing.T) {
			t.Parallel()
			srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
			dir := t.TempDir()
			input := writeFile(t, dir, "kunden.csv", b.String())
			mapFile := writeFile(t, dir, "map.yaml", mapping)
			out := runBinary(t, invocation{
				args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", input,
					"--map", mapFile, "--null", `\N`, "--max-changes", tc.limit},
				env: demoEnv(specs.Upwell), dir: dir,
			})
			require.Equal(t, tc.code, out.code, out.stderr)
			assert.Equal(t, tc.requests, srv.Stats(specs.Upwell).Requests)
			assert.Contains(t, out.stderr, "10 fields cleared", "the null marker's cells are counted as cleared")
			if tc.code == exitOK {
				got, ok := srv.Customer(specs.Upwell, sandbox.SyntheticID(specs.Upwell, 2))
				require.True(t, ok)
				assert.Nil(t, got["emailAddress"], "cleared by the null marker")
				assert.Equal(t, "Firma 2", got["name"])
			}
		})
	}
}
