package adapter

import (
	"encoding/json"
	"math/rand/v2"
	"net/mail"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/internal/fieldname"
)

// The shortcut in checkEmail must never accept what mail.ParseAddress
// would refuse or rewrite: every address it takes as plain parses to
// itself.
func TestAPlainAddressIsWhatMailParseAddressAcceptsAsItIs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 14))
	const alphabet = "ab.Z9+-_@ \"<>()[],;:\\'!#é\x00"
	plain := 0
	for range 200_000 {
		b := make([]byte, 1+rng.IntN(10))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		v := string(b)
		if !plainAddress(v) {
			continue
		}
		plain++
		addr, err := mail.ParseAddress(v)
		require.NoError(t, err, "%q is taken as plain", v)
		require.Equal(t, v, addr.Address, "%q is taken as plain", v)
	}
	require.Greater(t, plain, 100, "the generator must produce plain addresses to check")
}

func TestCheckEmailStillParsesWhatIsNotPlain(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{
		{"ap@acme.example", true},
		{"o'brien@acme.example", true}, // not plain: parsed, and valid
		{"a..b@acme.example", false},
		{".a@acme.example", false},
		{"a@acme.example.", false},
		{"Ap <ap@acme.example>", false},
		{"ap@", false},
		{"@acme.example", false},
		{"ap@acme@example", false},
		{" ap@acme.example", false},
	} {
		t.Run(tc.v, func(t *testing.T) {
			err := checkEmail(fieldname.Email, tc.v)
			assert.Equal(t, tc.ok, err == nil, "%v", err)
		})
	}
}

func TestAFieldMaskHoldsEveryField(t *testing.T) {
	require.LessOrEqual(t, len(updateFields), 32, "fieldMask has 32 bits")
	assert.Equal(t, fieldname.SourceSystem, updateFields[0].name, "sourceSystemBit is bit 0")
	u := &CustomerUpdate{ID: "1", SourceSystem: "ACME", Name: Set("Acme"), Phone: Clear[string](),
		Billbee: &BillbeeFields{Number: Set[int32](7)}}
	assert.Equal(t, []string{fieldname.SourceSystem, fieldname.Name, fieldname.Phone, fieldname.BillbeeNumber}, u.SetFields())
	assert.Nil(t, (&CustomerUpdate{ID: "1"}).SetFields())
}

// setMask reads the fields directly; every bit must be the table's.
func TestTheFieldMaskFollowsTheFieldTable(t *testing.T) {
	every := func() *CustomerUpdate {
		return &CustomerUpdate{ID: "1", SourceSystem: "ACME", Name: Set("a"), FirstName: Set("b"), LastName: Set("c"),
			Email: Set("d@e.example"), CCEmails: Set([]string{}), Phone: Clear[string](), VATID: Set("DE1"),
			Metadata: Set(JSONObject{}), ModifiedAt: Set(time.Unix(1, 0)),
			Upwell:  &UpwellFields{BillToCustomerID: Set("x"), DueOption: Set[int32](30)},
			Billbee: &BillbeeFields{PriceGroupID: Set[int64](1), LanguageID: Set[int32](2), Type: Set[int32](1), Number: Clear[int32]()}}
	}
	all := fieldMask(1)<<len(updateFields) - 1
	require.Equal(t, all, every().setMask(), "an update setting every field sets every bit")
	for i, f := range updateFields {
		u := every()
		f.drop(u)
		assert.False(t, f.isSet(u), f.name)
		assert.Equal(t, all&^(1<<i), u.setMask(), "dropping %s clears bit %d alone", f.name, i)
	}
}

func TestPlainASCIITextIsWhatCheckTextAccepts(t *testing.T) {
	for _, v := range []string{"Acme Corp", "a\tb", " x ", "", " ", "\t", "a\x00", "a\x7f", "é", "a\nb", "\xff"} {
		if plainASCIIText(v) {
			assert.NoError(t, checkText("name", v), "%q", v)
		}
	}
	assert.True(t, plainASCIIText("Acme Corp"))
	assert.False(t, plainASCIIText("  \t"), "blank is not plain: checkText refuses it")
	assert.False(t, plainASCIIText("a\x7f"))
}

func TestTheClearMaskFollowsTheFieldTable(t *testing.T) {
	for i, f := range updateFields {
		if f.name == fieldname.SourceSystem {
			continue // part of Upwell's key: it cannot be cleared
		}
		u := &CustomerUpdate{ID: "1"}
		require.NoError(t, f.decode(u, json.RawMessage("null")), f.name)
		assert.Equal(t, fieldMask(1)<<i, u.clearMask(), "clearing %s sets bit %d alone", f.name, i)
		assert.Equal(t, u.setMask(), u.clearMask(), "a cleared field is a set one too")
	}
	every := &CustomerUpdate{ID: "1", SourceSystem: "ACME", Name: Set("a"), FirstName: Set("b"), LastName: Set("c"),
		Email: Set("d@e.example"), CCEmails: Set([]string{"f@g.example"}), Phone: Set("+49"), VATID: Set("DE1"),
		Metadata: Set(JSONObject{"k": "v"}), ModifiedAt: Set(time.Unix(1, 0)),
		Upwell:  &UpwellFields{BillToCustomerID: Set("x"), DueOption: Set[int32](0)},
		Billbee: &BillbeeFields{PriceGroupID: Set[int64](0), LanguageID: Set[int32](0), Type: Set[int32](0), Number: Set[int32](0)}}
	assert.Zero(t, every.clearMask(), "values, zero numbers among them, clear nothing")
}
