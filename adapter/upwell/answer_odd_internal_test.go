package upwell

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

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
