package upwell

import "testing"

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
