package adapter_test

import (
	"testing"

	"github.com/custsync/custsync/adapter"
)

// BenchmarkParseCustomerUpdate reads the lines of a nightly push: every
// input line goes through ParseCustomerUpdate once.
func BenchmarkParseCustomerUpdate(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"small line", `{"id":"S-00001","name":"Customer 1","email":"c1@example.com","metadata":{"erp":"E-0000001"}}`},
		{"vendor section and metadata", `{"id":"C-1001","sourceSystem":"erp","name":"Acme Corp","email":"ap@acme.example","vatId":null,` +
			`"ccEmails":["a@acme.example","b@acme.example"],"upwell":{"billToCustomerId":"B-7","dueOption":30},` +
			`"metadata":{"erp":"E-0000001","tier":2,"limit":1250.50,"vip":true,"tags":["a","b"],"owner":{"team":"north","since":null}}}`},
	} {
		line := []byte(bc.line)
		if _, err := adapter.ParseCustomerUpdate(line); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if _, err := adapter.ParseCustomerUpdate(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
