package bulk

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// BenchmarkReaders reads the same 10,000 customers as JSON lines and as
// an ERP's CSV export (mapped, semicolons, Windows-1252), and checks the
// CSV whole as push does before it sends:
//
//	go test ./adapter/bulk -run '^$' -bench '^BenchmarkReaders$' -benchmem
func BenchmarkReaders(b *testing.B) {
	const records = 10_000
	var csvText, jsonl strings.Builder
	csvText.WriteString("Kundennummer;Firma;E-Mail;Zusatzdaten;Bemerkung\r\n")
	for i := range records {
		fmt.Fprintf(&csvText, "S-%05d;Customer %d;c%d@example.com;\"{\"\"erp\"\":\"\"E-%07d\"\"}\";\r\n", i, i, i, i)
		fmt.Fprintf(&jsonl, `{"id":"S-%05d","name":"Customer %d","email":"c%d@example.com","metadata":{"erp":"E-%07d"}}`+"\n", i, i, i, i)
	}
	m, err := ParseMapping([]byte("columns:\n  Kundennummer: id\n  Firma: name\n  E-Mail: email\n  Zusatzdaten: metadata\nignore: [Bemerkung]\n"))
	if err != nil {
		b.Fatal(err)
	}
	cfg := CSVConfig{Mapping: m, Encoding: Windows1252}
	readAll := func(b *testing.B, r Reader) {
		n := 0
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || rec.Err != nil {
				b.Fatal(err, rec.Err)
			}
			n++
		}
		if n != records {
			b.Fatalf("%d records, want %d", n, records)
		}
	}
	b.Run("input=jsonl", func(b *testing.B) {
		for b.Loop() {
			readAll(b, NewJSONLReader(strings.NewReader(jsonl.String())))
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*records), "ns/record")
	})
	b.Run("input=csv", func(b *testing.B) {
		for b.Loop() {
			r, err := NewCSVReader(strings.NewReader(csvText.String()), cfg)
			if err != nil {
				b.Fatal(err)
			}
			readAll(b, r)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*records), "ns/record")
	})
	b.Run("input=csv-check", func(b *testing.B) {
		for b.Loop() {
			if err := CheckCSV(strings.NewReader(csvText.String()), cfg); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*records), "ns/record")
	})
}
