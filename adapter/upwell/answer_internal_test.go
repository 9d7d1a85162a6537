package upwell

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// usualAnswers are answers of the shapes Upwell sends (Hasura's REST
// endpoint, as in the docs' examples) and shapes that must leave
// decodeUsual to encoding/json.
var usualAnswers = []string{
	`{"updateCustomer":{"affectedRows":1,"returning":[{"id":"cus_123","name":"Acme Corp","emailAddress":"ap@acme.example","metadata":{"tier":"gold"},"sourceSystem":"ACME","sourceSystemId":"C-1001"}]},"updateCustomerRules":{"affectedRows":1}}`,
	`{"updateCustomer":{"affectedRows":0,"returning":[]}}`,
	` { "updateCustomer" : { "returning" : [ { "name" : "A" } , { "name" : "B" } ] , "affectedRows" : 2 } } `,
	`{"UPDATECUSTOMER":{"AffectedRows":1e0}}`,
	`{"updateCustomer":{"affectedRows":"1"}}`,
	`{"updateCustomer":{"affectedRows":null}}`,
	`{"updateCustomer":{"affectedRows":1,"affectedRows":2}}`,
	`{"updateCustomer":{"affectedRows":1,"returning":[{"Name":"x","name":"y"}]}}`,
	`{"updateCustomer":{"affectedRows":1,"returning":[{"name":"x","name":"y"}]}}`,
	`{"updateCustomer":{"affectedRows":1,"returning":[{"na\u006de":"x"}]}}`,
	`{"updateCustomer":{"affectedRows":1,"returning":["x"]}}`,
	`{"updateCustomer":{"affectedRows":1,"returning":{"name":"x"}}}`,
	`{"updateCustomer":{"affectedRows":1,"returning":null},"updateCustomerRules":null}`,
	`{"updateCustomer":{"affectedRows":1},"updateCustomerRules":{"affectedRows":"x"}}`,
	`{"updateCustomer":[],"updateCustomer":{"affectedRows":1}}`,
	`{"updateCustomer":{"affectedRows":1,"returning":[{"metadata":{"a":[1,{"b":"]"}]},"billToCustomerId":null,"ccEmailAddresses":["a@b.c"]}]}}`,
	`[]`, `null`, `{}`, `"x"`, `{"updateCustomer":{"affectedRows":1}`, `<html>`,
}

func TestTheUsualAnswerDecodesAsEncodingJSONDoes(t *testing.T) {
	usual := 0
	for _, raw := range usualAnswers {
		if checkDecodeUsual(t, []byte(raw)) {
			usual++
		}
	}
	// The first four, the metadata one and {} (which both paths then
	// refuse for its missing count).
	assert.Equal(t, 6, usual, "the answers of the usual shape take the fast path, the others do not")
}

func FuzzTheUsualAnswerDecodesAsEncodingJSONDoes(f *testing.F) {
	for _, raw := range usualAnswers {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) { checkDecodeUsual(t, []byte(raw)) })
}

// checkDecodeUsual checks that decodeUsual, when it accepts raw, reads
// what encoding/json reads, and reports whether it accepted it.
func checkDecodeUsual(t *testing.T, raw []byte) bool {
	t.Helper()
	var fast, slow answer
	if !decodeUsual(raw, &fast) {
		return false
	}
	require.NoError(t, decodeWithJSON(raw, &slow), "decodeUsual accepted what encoding/json refuses: %s", raw)
	assert.Equal(t, slow.UpdateCustomer.AffectedRows, fast.UpdateCustomer.AffectedRows, "%s", raw)
	assert.Equal(t, slow.UpdateCustomerRules, fast.UpdateCustomerRules, "%s", raw)
	s, f := slow.UpdateCustomer.Returning[0], fast.UpdateCustomer.Returning[0]
	for _, c := range []struct {
		name       string
		slow, fast json.RawMessage
	}{
		{"id", s.ID, f.ID}, {"name", s.Name, f.Name}, {"emailAddress", s.EmailAddress, f.EmailAddress},
		{"ccEmailAddresses", s.CcEmailAddresses, f.CcEmailAddresses}, {"metadata", s.Metadata, f.Metadata},
		{"billToCustomerId", s.BillToCustomerID, f.BillToCustomerID},
	} {
		assert.Equal(t, c.slow == nil, c.fast == nil, "column %s present in one only: %s", c.name, raw)
		assert.Equal(t, compactJSON(c.slow), compactJSON(c.fast), "column %s: %s", c.name, raw)
	}
	return true
}

func compactJSON(v json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

func TestMoreAnswersDecodeAsEncodingJSONDoes(t *testing.T) {
	for _, raw := range []string{
		`{"updateCustomer":{"affectedRows":1,"returning":[{"name":"x"},1,"y",null]}}`,
		`{"updateCustomer":{"affectedRowſ":1,"returning":[{"name":"x"}]}}`,
		`{"updateCuſtomer":{"affectedRows":1},"updateCustomerRuleſ":{"affectedRows":2}}`,
		`{"updateCustomer":{"affectedRows":1,"returning":[{"name":"x","emailAddreſs":"z"}]}}`,
		`{"updateCustomer":{"affectedRows":1,"returning":[{"name":"x"}]},"updateCustomerRules":{"affectedRows":1,"affectedRows":null}}`,
		`{"updateCustomer":{"affectedRows":-0,"returning":[{"id":1e400}]}}`,
		`{"updateCustomer":{"affectedRows":1e400}}`,
		"{\"updateCustomer\":{\"affectedRows\":1,\"returning\":[{\"name\":\"\xff\"}]}}",
	} {
		t.Logf("%v %s", checkDecodeUsual(t, []byte(raw)), raw)
	}
}

// More answers of odd shapes, each held to encoding/json by
// checkDecodeUsual when decodeUsual takes it.
func TestOddAnswersDecodeAsEncodingJSONDoes(t *testing.T) {
	taken := 0
	for _, raw := range []string{
		` { "updateCustomer" : { "returning" : [ { "name" : "x" , "id" : 7 } , { "name" : 1 } ] , "affectedRows" : 1 } } `,
		`{"\u0075pdateCustomer":{"affectedRows":1,"returning":[{"\u006eame":"x"}]}}`,
		`{"UPDATECUSTOMER":{"AFFECTEDROWS":1,"RETURNING":[{"name":"x"}]}}`,
		`{"updateCustomer":{"affectedRows":1,"returning":[]}}`,
		`{"updateCustomer":{"affectedRows":1,"returning":[null,{"name":"x"}]}}`,
		`{"updateCustomer":{"affectedRows":1,"returning":[{"name":null,"metadata":{"a":[1,{"b":"}"}]},"id":"\"\\"}]}}`,
		`{"updateCustomer":{"affectedRows":1,"returning":[{"name":"x"}],"returning":[{"name":"y"}]}}`,
		`{"updateCustomer":{"affectedRows":1},"updateCustomer":{"affectedRows":2}}`,
		`{"updateCustomer":{"affectedRows":1,"returning":{"name":"x"}}}`,
		`{"updateCustomer":[],"updateCustomerRules":{"affectedRows":1}}`,
		`{"updateCustomerRules":{"affectedRows":1,"returning":[{"name":"x"}]},"updateCustomer":{"affectedRows":0}}`,
		`{"updateCustomer":{"affectedRows":1,"returning":[{"name":"x","name":"y"}]}}`,
		`{"updateCustomer":{"affectedRows":1,"returning":[{"Name":"x"}]}}`,
		`{"updateCustomer":{"affectedRows":1,"returning":[{"ccEmailAddresses":["a","b"],"billToCustomerId":null}]}}`,
		`{"updateCustomer":{"affectedRows":"1"}}`,
		`{"updateCustomer":{"affectedRows":1.0}}`,
		`{"updateCustomer":{"affectedRows":1}} x`,
		`{"updateCustomer":{"affectedRows":1}}   `,
	} {
		if checkDecodeUsual(t, []byte(raw)) {
			taken++
		}
	}
	assert.Positive(t, taken, "decodeUsual took some")
}
