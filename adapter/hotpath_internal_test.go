package adapter

import (
	"math/rand/v2"
	"net/mail"
	"testing"

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
