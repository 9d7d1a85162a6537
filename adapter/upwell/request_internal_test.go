package upwell

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	gen "github.com/custsync/custsync/gen/upwell"
)

// generatedRequest builds the body through the generated types, as the
// driver did before it built bodies by hand: the reference the hand-built
// body must equal.
func generatedRequest(u *adapter.CustomerUpdate, sourceSystem string) gen.UpdateCustomerRequest {
	id := u.ID
	var in gen.CustomersSetInput
	hasInput := false
	if v, ok := u.Name.Value(); ok {
		in.Name, hasInput = &v, true
	}
	if f := nullableOf(u.Email); f != nil {
		in.EmailAddress, hasInput = *f, true
	}
	if f := nullableOf(u.CCEmails); f != nil {
		in.CcEmailAddresses, hasInput = *f, true
	}
	if !u.Metadata.IsAbsent() {
		hasInput = true
		if m, ok := u.Metadata.Value(); ok {
			in.Metadata = nullable.NewNullableWithValue[any](map[string]any(m))
		} else {
			in.Metadata = nullable.NewNullNullable[any]()
		}
	}
	var rules *gen.CustomerRulesSetInput
	if u.Upwell != nil {
		if f := nullableOf(u.Upwell.BillToCustomerID); f != nil {
			in.BillToCustomerId, hasInput = *f, true
		}
		if f := nullableOf(u.Upwell.DueOption); f != nil {
			rules = &gen.CustomerRulesSetInput{DueOption: *f}
		}
	}
	body := gen.UpdateCustomerRequest{SourceSystem: &sourceSystem, SourceSystemId: &id, CustomerRulesInput: rules}
	if hasInput {
		body.Input = &in
	}
	return body
}

func nullableOf[T any](f adapter.Field[T]) *nullable.Nullable[T] {
	if f.IsAbsent() {
		return nil
	}
	if v, ok := f.Value(); ok {
		n := nullable.NewNullableWithValue(v)
		return &n
	}
	n := nullable.NewNullNullable[T]()
	return &n
}

func TestTheHandBuiltBodyIsTheGeneratedTypesBody(t *testing.T) {
	strs := []adapter.Field[string]{{}, adapter.Set("Acme <&> \"Corp\"\u2028"), adapter.Set(""), adapter.Clear[string]()}
	lists := []adapter.Field[[]string]{{}, adapter.Set([]string{"a@x.example", "b@x.example"}), adapter.Set([]string{}), adapter.Clear[[]string]()}
	metas := []adapter.Field[adapter.JSONObject]{{}, adapter.Set(adapter.JSONObject{"tier": "gold", "n": json.Number("12345678901234567890"), "z": []any{nil, true}}), adapter.Clear[adapter.JSONObject]()}
	dues := []adapter.Field[int32]{{}, adapter.Set[int32](30), adapter.Set[int32](-1), adapter.Clear[int32]()}
	n := 0
	for i, name := range strs[:3] { // a cleared name is refused by Validate
		for j, email := range strs {
			for k, cc := range lists {
				for l, meta := range metas {
					for m, due := range dues {
						billTo := strs[(i+j+k+l+m)%len(strs)]
						u := &adapter.CustomerUpdate{ID: fmt.Sprintf("C-%d", n), Name: name, Email: email, CCEmails: cc, Metadata: meta,
							Upwell: &adapter.UpwellFields{BillToCustomerID: billTo, DueOption: due}}
						n++
						want, err := json.Marshal(generatedRequest(u, "ACME"))
						require.NoError(t, err)
						got, sent, hasInput, hasRules, err := encodeRequest(nil, u, "ACME")
						require.NoError(t, err)
						require.Equal(t, string(want), string(got), "update %d", n)
						assert.Equal(t, !due.IsAbsent(), hasRules)
						assert.Equal(t, !name.IsAbsent() || !email.IsAbsent() || !cc.IsAbsent() || !meta.IsAbsent() || !billTo.IsAbsent(), hasInput)
						var input map[string]json.RawMessage
						if hasInput {
							var whole struct{ Input map[string]json.RawMessage }
							require.NoError(t, json.Unmarshal(got, &whole))
							input = whole.Input
						}
						for column, b := range map[string][]byte{"name": sent.name, "emailAddress": sent.email, "ccEmailAddresses": sent.ccEmails, "metadata": sent.metadata, "billToCustomerId": sent.billTo} {
							assert.Equal(t, string(input[column]), string(b), "update %d: the bytes kept for %s are those sent", n, column)
						}
					}
				}
			}
		}
	}
}
