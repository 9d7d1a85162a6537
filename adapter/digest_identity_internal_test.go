package adapter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/internal/canonical"
	"github.com/custsync/custsync/adapter/internal/fieldname"
)

// requireTheReference checks that CanonicalJSON and Digest give what the
// reference gives for u: the same bytes, or the same error.
func requireTheReference(t testing.TB, u *CustomerUpdate) {
	t.Helper()
	want, wantErr := canonicalJSONReference(u)
	got, gotErr := u.CanonicalJSON()
	require.Equal(t, wantErr, gotErr, "the error")
	require.Equal(t, string(want), string(got), "the canonical form")

	digest, digestErr := u.Digest()
	require.Equal(t, wantErr, digestErr, "the digest's error")
	if wantErr == nil {
		sum := sha256.Sum256(want)
		require.Equal(t, "v1:"+hex.EncodeToString(sum[:]), digest, "the digest")
	}
}

// takesTheDirectPath reports whether the direct writer writes u itself,
// rather than leaving it to the encoding/json path.
func takesTheDirectPath(u *CustomerUpdate) bool {
	w := newCanonicalWriter()
	defer w.release()
	return w.update(u) != nil
}

// escapes is a string with everything JSON strings escape or change:
// quotes, backslashes, every control character, what HTML escaping
// touches, U+2028 and U+2029, DEL, and characters of every length.
var escapes = func() string {
	var b strings.Builder
	b.WriteString(`"\/<>&'` + "\u2028\u2029\x7fäé€😀\ufffd")
	for c := range 0x20 {
		b.WriteByte(byte(c))
	}
	return b.String()
}()

// canonicalSamples holds, for every field of the field table, values in
// JSON to set it to through the table's decoder. A field added to the
// table without samples fails TestCanonicalJSONIsTheReferenceForEveryField.
var canonicalSamples = map[string][]string{
	fieldname.SourceSystem:           {`"ACME"`, mustJSON(escapes)},
	fieldname.Name:                   {`""`, `"Acme Corp"`, mustJSON(escapes)},
	fieldname.FirstName:              {`"Max"`, mustJSON(escapes)},
	fieldname.LastName:               {`"Müller"`, `"<Muster & Sohn>"`},
	fieldname.Email:                  {`"a@x.example"`, `"\u2028@x.example"`},
	fieldname.CCEmails:               {`[]`, `["a@x.example","b@x.example"]`, `["<a>",` + mustJSON(escapes) + `]`},
	fieldname.Phone:                  {`"+49 30 1234"`, `"\t"`},
	fieldname.VATID:                  {`"DE123456789"`, `"\u0000"`},
	fieldname.Metadata:               {`{}`, `{"n":1.0,"m":[1e0,-0,10e-1,{"x":12345678901234567890}],"s":"\u2028<&>","":{"":[]}}`},
	fieldname.ModifiedAt:             {`"2024-03-01T13:00:00.123456789+01:00"`, `"2024-03-01T12:00:00Z"`, `"0001-01-01T00:00:00Z"`, `"2024-02-29T23:59:59.9-09:30"`},
	fieldname.UpwellBillToCustomerID: {`""`, `"P-1"`, mustJSON(escapes)},
	fieldname.UpwellDueOption:        {`0`, `30`, `-2147483648`, `2147483647`},
	fieldname.BillbeePriceGroupID:    {`0`, `-9223372036854775808`, `9223372036854775807`},
	fieldname.BillbeeLanguageID:      {`0`, `1`, `-1`},
	fieldname.BillbeeType:            {`0`, `1`},
	fieldname.BillbeeNumber:          {`0`, `2147483647`, `-2147483648`},
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// setThroughTheTable sets the field named name of u to raw, as parsing
// does; "null" clears it, and the sourceSystem, which has no null, goes
// back to the default.
func setThroughTheTable(t testing.TB, u *CustomerUpdate, name, raw string) {
	t.Helper()
	i := slices.IndexFunc(updateFields, func(f updateField) bool { return f.name == name })
	require.GreaterOrEqual(t, i, 0, "%s is in the field table", name)
	if name == fieldname.SourceSystem && raw == "null" {
		u.SourceSystem = ""
		return
	}
	require.NoError(t, updateFields[i].decode(u, json.RawMessage(raw)), "%s = %s", name, raw)
}

func TestCanonicalJSONIsTheReferenceForEveryField(t *testing.T) {
	base := func() *CustomerUpdate { return &CustomerUpdate{ID: "C-1", Name: Set("Acme")} }
	for _, f := range updateFields {
		samples, ok := canonicalSamples[f.name]
		require.True(t, ok, "add sample values of %s to canonicalSamples", f.name)
		t.Run(f.name+" absent is written as the reference writes it", func(t *testing.T) {
			u := base()
			f.drop(u)
			requireTheReference(t, u)
		})
		for _, raw := range append([]string{"null"}, samples...) {
			t.Run(f.name+" set to "+raw+" is written as the reference writes it", func(t *testing.T) {
				u := base()
				setThroughTheTable(t, u, f.name, raw)
				require.True(t, takesTheDirectPath(u))
				requireTheReference(t, u)
			})
		}
	}
	for i := range 3 {
		t.Run(fmt.Sprintf("every field set to its sample %d at once is written as the reference writes it", i), func(t *testing.T) {
			u := base()
			for _, f := range updateFields {
				samples := canonicalSamples[f.name]
				setThroughTheTable(t, u, f.name, samples[min(i, len(samples)-1)])
			}
			require.Len(t, u.SetFields(), len(updateFields))
			requireTheReference(t, u)
		})
	}
	t.Run("every field cleared at once is written as the reference writes it", func(t *testing.T) {
		u := base()
		for _, f := range updateFields {
			setThroughTheTable(t, u, f.name, "null")
		}
		requireTheReference(t, u)
	})
}

// TestCanonicalJSONIsTheReferenceForRandomUpdates gives each field a
// random state (absent, null or a sample), so every pair of fields is
// written next to each other in some update.
func TestCanonicalJSONIsTheReferenceForRandomUpdates(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for range 500 {
		u := &CustomerUpdate{ID: fmt.Sprint("C-", rng.IntN(100))}
		for _, f := range updateFields {
			samples := canonicalSamples[f.name]
			switch k := rng.IntN(len(samples) + 2); k {
			case 0: // absent
			case 1:
				setThroughTheTable(t, u, f.name, "null")
			default:
				setThroughTheTable(t, u, f.name, samples[k-2])
			}
		}
		requireTheReference(t, u)
	}
}

// TestEveryJSONFieldOfAnUpdateIsInTheFieldTable: the reference writes
// every field encoding/json sees, the direct writer the ones it knows;
// the tests above set every field of the table, so the table must hold
// every field there is.
func TestEveryJSONFieldOfAnUpdateIsInTheFieldTable(t *testing.T) {
	var names []string
	jsonName := func(f reflect.StructField) string { name, _, _ := strings.Cut(f.Tag.Get("json"), ","); return name }
	for f := range reflect.TypeFor[CustomerUpdate]().Fields() {
		switch f.Name {
		case "ID":
		case "Upwell", "Billbee":
			for g := range f.Type.Elem().Fields() {
				names = append(names, jsonName(f)+"."+jsonName(g))
			}
		default:
			names = append(names, jsonName(f))
		}
	}
	var table []string
	for _, f := range updateFields {
		table = append(table, f.name)
	}
	assert.ElementsMatch(t, names, table)
}

func TestCanonicalJSONIsTheReferenceForUpdatesBuiltInGo(t *testing.T) {
	at := func(zone *time.Location, year int, nsec int) Field[time.Time] {
		return Set(time.Date(year, 3, 1, 13, 4, 5, nsec, zone))
	}
	meta := func(v any) *CustomerUpdate {
		return &CustomerUpdate{ID: "C-1", Metadata: Set(JSONObject{"v": v})}
	}
	// nested is metadata of depth objects and lists, one in the other,
	// the innermost a list when inner is 0, an object when it is 1.
	nested := func(depth, inner int) JSONObject {
		var v any = json.Number("1.0")
		for i := range depth - 1 {
			if i%2 == inner {
				v = []any{v}
			} else {
				v = map[string]any{"o": v}
			}
		}
		return JSONObject{"v": v}
	}
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	type named string
	tests := []struct {
		name     string
		u        *CustomerUpdate
		fallback bool // the direct writer leaves it to the encoding/json path
	}{
		{"an update of only an id", &CustomerUpdate{ID: "C-1"}, false},
		{"an update of an empty id", &CustomerUpdate{}, false},
		{"an id with escapes", &CustomerUpdate{ID: escapes}, false},
		{"an id that is not UTF-8", &CustomerUpdate{ID: "a\xffb\xc3\x28\xe2\x82\xed\xa0\x80z\xf0\x9f\x98"}, false},
		{"a name that is not UTF-8", &CustomerUpdate{ID: "C-1", Name: Set("\xff\xfe" + escapes + "\x80")}, false},
		{"a source system that is not UTF-8", &CustomerUpdate{ID: "C-1", SourceSystem: "\xc0\xaf"}, false},
		{"cc e-mails that are not UTF-8", &CustomerUpdate{ID: "C-1", CCEmails: Set([]string{"\xff", "", escapes})}, false},
		{"cc e-mails set to a nil list", &CustomerUpdate{ID: "C-1", CCEmails: Set[[]string](nil)}, false},
		{"an empty string set", &CustomerUpdate{ID: "C-1", Email: Set(""), VATID: Clear[string]()}, false},
		{"empty vendor sections", &CustomerUpdate{ID: "C-1", Upwell: &UpwellFields{}, Billbee: &BillbeeFields{}}, false},
		{"vendor sections that only clear", &CustomerUpdate{ID: "C-1",
			Upwell:  &UpwellFields{BillToCustomerID: Clear[string](), DueOption: Clear[int32]()},
			Billbee: &BillbeeFields{PriceGroupID: Clear[int64](), LanguageID: Clear[int32](), Type: Clear[int32](), Number: Clear[int32]()}}, false},
		{"vendor sections that set zeros", &CustomerUpdate{ID: "C-1",
			Upwell:  &UpwellFields{BillToCustomerID: Set(""), DueOption: Set[int32](0)},
			Billbee: &BillbeeFields{Number: Set[int32](0)}}, false},
		{"vendor sections with one field each", &CustomerUpdate{ID: "C-1",
			Upwell:  &UpwellFields{DueOption: Set[int32](-30)},
			Billbee: &BillbeeFields{Type: Set[int32](1)}}, false},
		{"modifiedAt in UTC", &CustomerUpdate{ID: "C-1", ModifiedAt: at(time.UTC, 2024, 0)}, false},
		{"modifiedAt east of UTC", &CustomerUpdate{ID: "C-1", ModifiedAt: at(time.FixedZone("", 14*3600), 2024, 120_000_000)}, false},
		{"modifiedAt west of UTC by hours and a half", &CustomerUpdate{ID: "C-1", ModifiedAt: at(time.FixedZone("NST", -(3*3600+1800)), 2024, 1)}, false},
		{"modifiedAt in a zone with seconds", &CustomerUpdate{ID: "C-1", ModifiedAt: at(time.FixedZone("LMT", 3208), 1890, 999_999_999)}, false},
		{"modifiedAt in the local zone", &CustomerUpdate{ID: "C-1", ModifiedAt: at(time.Local, 2024, 5)}, false},
		{"modifiedAt with a monotonic reading", &CustomerUpdate{ID: "C-1", ModifiedAt: Set(time.Now())}, false},
		{"modifiedAt at the zero time", &CustomerUpdate{ID: "C-1", ModifiedAt: Set(time.Time{})}, false},
		{"modifiedAt in year 0", &CustomerUpdate{ID: "C-1", ModifiedAt: at(time.UTC, 0, 0)}, false},
		{"modifiedAt in year 9999", &CustomerUpdate{ID: "C-1", ModifiedAt: at(time.UTC, 9999, 0)}, false},
		{"modifiedAt in year 10000", &CustomerUpdate{ID: "C-1", ModifiedAt: at(time.UTC, 10000, 0)}, true},
		{"modifiedAt in year -1", &CustomerUpdate{ID: "C-1", ModifiedAt: at(time.UTC, -1, 0)}, true},
		{"modifiedAt in year 9999 that is 10000 in UTC",
			&CustomerUpdate{ID: "C-1", ModifiedAt: Set(time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)))}, true},
		{"modifiedAt in year 1 that is 0 in UTC",
			&CustomerUpdate{ID: "C-1", ModifiedAt: Set(time.Date(1, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600)))}, false},
		{"metadata set to nil", &CustomerUpdate{ID: "C-1", Metadata: Set[JSONObject](nil)}, false},
		{"metadata cleared", &CustomerUpdate{ID: "C-1", Metadata: Clear[JSONObject]()}, false},
		{"metadata keys with escapes", &CustomerUpdate{ID: "C-1", Metadata: Set(JSONObject{escapes: 1, "<": "&", "\u2028": "\u2029", "": ""})}, false},
		{"metadata keys that sort by bytes", &CustomerUpdate{ID: "C-1", Metadata: Set(JSONObject{"b": 1, "B": 2, "a": 3, "ä": 4, "a\x00": 5, "aa": 6, "😀": 7, "\ufffd": 8})}, false},
		{"metadata keys that are not UTF-8 and become one", &CustomerUpdate{ID: "C-1", Metadata: Set(JSONObject{"k\xff": 1, "k\xfe": 2, "k\ufffd": 3})}, true},
		{"metadata values that are not UTF-8", meta([]any{"\xff", "a\xed\xa0\x80"}), false},
		{"metadata with nil and empty containers", &CustomerUpdate{ID: "C-1", Metadata: Set(JSONObject{
			"nilMap": map[string]any(nil), "nilObject": JSONObject(nil), "nilList": []any(nil),
			"emptyMap": map[string]any{}, "emptyList": []any{}, "null": nil, "t": true, "f": false})}, false},
		{"metadata numbers spelled oddly", meta([]any{json.Number("1.0"), json.Number("1e0"), json.Number("-0"), json.Number("10e-1"),
			json.Number("-0.0e-0"), json.Number("0.000e5"), json.Number("1E+400"), json.Number("1e-400"), json.Number("123.456e-2"),
			json.Number("12345678901234567890"), json.Number("-12345678901234567890123456789.000"), json.Number("1200"),
			json.Number("0.00120"), json.Number("1e0000000000000000000000005"), json.Number("1e99999999999999999999"),
			json.Number("-1.5e-99999999999999999999"), json.Number("5e999999999999999"), json.Number("5e-1000000000000000"),
			json.Number("100e-2"), json.Number("0e0"), json.Number("0.5"), json.Number("")}), false},
		{"a metadata number encoding/json refuses: a leading zero", meta(json.Number("01")), true},
		{"a metadata number encoding/json refuses: space", meta(json.Number(" 1")), true},
		{"a metadata number encoding/json refuses: a word", meta(json.Number("one")), true},
		{"a metadata number encoding/json refuses: a bare exponent", meta(json.Number("1e+")), true},
		{"metadata float64s", meta([]any{1.5, 1.0, math.Copysign(0, -1), 0.0, 1e20, 1e21, 123456789e15, 1e-6, 1e-7, 0.1, 1.0 / 3,
			math.MaxFloat64, math.SmallestNonzeroFloat64, -math.MaxFloat64, 2.5e-310}), false},
		{"a metadata float64 that is NaN", meta(math.NaN()), true},
		{"a metadata float64 that is infinite", meta(math.Inf(-1)), true},
		{"metadata ints", meta([]any{0, 1, -1, 1200, math.MaxInt, math.MinInt, int64(math.MinInt64), int64(-1000), int64(7)}), false},
		{"a metadata float32", meta(float32(0.1)), true},
		{"a metadata uint", meta(uint(1200)), true},
		{"a metadata int32", meta(int32(10)), true},
		{"a metadata string of a named type", meta(named("<x>")), true},
		{"a metadata list of strings", meta([]string{"<a>", "b"}), true},
		{"a metadata map of another type", meta(map[string]string{"b": "1", "a": "2"}), true},
		{"a metadata raw message", meta(json.RawMessage(`{"b": 1.0, "a": [ 1e0 ]}`)), true},
		{"a metadata typed nil pointer", meta((*int)(nil)), true},
		{"a metadata struct", meta(struct{ A int }{A: 10}), true},
		{"a metadata time", meta(time.Date(2024, 3, 1, 13, 0, 0, 0, time.FixedZone("", 3600))), true},
		{"a metadata channel", meta(make(chan int)), true},
		{"a metadata map that holds itself", &CustomerUpdate{ID: "C-1", Metadata: Set(JSONObject(cyclic))}, true},
		{"metadata nested as deep as the direct writer goes, a list inside", &CustomerUpdate{ID: "C-1", Metadata: Set(nested(maxCanonicalDepth, 0))}, false},
		{"metadata nested as deep as the direct writer goes, an object inside", &CustomerUpdate{ID: "C-1", Metadata: Set(nested(maxCanonicalDepth, 1))}, false},
		{"metadata nested one level deeper, a list inside", &CustomerUpdate{ID: "C-1", Metadata: Set(nested(maxCanonicalDepth+1, 0))}, true},
		{"metadata nested one level deeper, an object inside", &CustomerUpdate{ID: "C-1", Metadata: Set(nested(maxCanonicalDepth+1, 1))}, true},
		{"metadata nested far deeper", &CustomerUpdate{ID: "C-1", Metadata: Set(nested(3*maxCanonicalDepth, 0))}, true},
		{"metadata of a known type after one of another", meta([]any{uint8(1), 2.5}), true},
		{"metadata with nested objects, lists and numbers", &CustomerUpdate{ID: "C-1", Metadata: Set(JSONObject{
			"z": []any{map[string]any{"y": json.Number("1.50"), "x": []any{json.Number("-0"), nil, "s"}}, JSONObject{"k": 2.0}},
			"a": map[string]any{"c": map[string]any{"e": json.Number("1e3")}, "b": []any{[]any{[]any{json.Number("10e-1")}}}},
		})}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is written as the reference writes it", func(t *testing.T) {
			assert.Equal(t, !tt.fallback, takesTheDirectPath(tt.u), "the direct writer writes it")
			requireTheReference(t, tt.u)
		})
	}
}

func TestCanonicalJSONRefusesNoUpdateAsTheReferenceDoes(t *testing.T) {
	var u *CustomerUpdate
	_, wantErr := canonicalJSONReference(u)
	require.Error(t, wantErr)
	_, err := u.CanonicalJSON()
	assert.Equal(t, wantErr, err)
	_, err = u.Digest()
	assert.Equal(t, wantErr, err)
}

// TestCanonicalJSONIsTheReferenceForRandomFloats checks float64 metadata,
// which no parsed update holds, over random bit patterns.
func TestCanonicalJSONIsTheReferenceForRandomFloats(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for range 2000 {
		f := math.Float64frombits(rng.Uint64())
		if rng.IntN(2) == 0 {
			f = float64(rng.IntN(1_000_000)) / math.Pow10(rng.IntN(12)) // short decimals
		}
		requireTheReference(t, &CustomerUpdate{ID: "C-1", Metadata: Set(JSONObject{"f": f, "i": int(f)})})
	}
}

// TestAppendCanonicalNumberIsCanonicalNumber compares the fast canonical
// number with canonical.Number over random valid JSON numbers.
func TestAppendCanonicalNumberIsCanonicalNumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int, lead bool) string {
		var b strings.Builder
		for i := range n {
			d := rng.IntN(10)
			if rng.IntN(3) == 0 {
				d = 0 // runs of zeros, where the trimming happens
			}
			if i == 0 && lead && n > 1 && d == 0 {
				d = 1 + rng.IntN(9)
			}
			b.WriteByte(byte('0' + d))
		}
		return b.String()
	}
	checked := 0
	for range 50_000 {
		s := ""
		if rng.IntN(2) == 0 {
			s = "-"
		}
		s += digits(1+rng.IntN(6), true)
		if rng.IntN(2) == 0 {
			s += "." + digits(1+rng.IntN(6), false)
		}
		if rng.IntN(2) == 0 {
			s += []string{"e", "E"}[rng.IntN(2)] + []string{"", "+", "-"}[rng.IntN(3)] + digits(1+rng.IntN(20), false)
		}
		require.True(t, isValidNumber(s), s)
		want, err := canonical.Number(s)
		require.NoError(t, err)
		got, ok := appendCanonicalNumber([]byte("x"), s)
		require.True(t, ok, s)
		require.Equal(t, "x"+want, string(got), s)
		checked++
	}
	require.Equal(t, 50_000, checked)
}

// canonicalDocs are updates in JSON that the identity tests and the fuzz
// target's seeds share.
var canonicalDocs = []string{
	`{"id":"S-000123","name":"Nightly S-000123","email":"nS-000123@example.com"}`,
	`{"id":"C-1","name":"Acme","email":null,"vatId":null,"ccEmails":[]}`,
	`{"id":"C-1","sourceSystem":"ERP","upwell":{},"billbee":null}`,
	`{"id":"C-1","upwell":{"dueOption":30,"billToCustomerId":null},"billbee":{"type":0,"number":null,"priceGroupId":1818,"languageId":-1}}`,
	`{"id":"C-1","modifiedAt":"2024-03-01T13:00:00.000+01:00"}`,
	`{"id":"C-1","modifiedAt":"2024-03-01T00:30:00.123456789+14:00"}`,
	`{"id":"C-1","modifiedAt":"2024-12-31T23:30:00-09:30"}`,
	`{"id":"C-1","modifiedAt":"0000-01-01T00:30:00+01:00"}`,
	`{"id":"C-1","modifiedAt":"9999-12-31T23:30:00-01:00"}`,
	`{"id":"C-1","metadata":{"n":1.0,"e":1e0,"z":-0,"f":10e-1,"big":12345678901234567890,"x":1.2E+3,"y":-0.0e-7}}`,
	`{"id":"C-1","metadata":{"huge":1e99999999999999999999,"tiny":-1e-99999999999999999999,"lead":1e000000000000000000001}}`,
	`{"id":"C-1","metadata":{"a":{"b":[1,2.50,{"c":null,"d":[[],{}]}]},"s":"\u2028\u2029<>&\u0000\u001f\"\\","t":true,"f":false}}`,
	`{"id":"C-1","metadata":{"\u2028":1,"<":2,"":3,"ä":4,"a":5,"B":6}}`,
	`{"id":"\u003c\u0026\u003e","name":"\ud83d\ude00 \u00e4 \t\n\r\b\f","ccEmails":["a@x.example","\u2029"]}`,
	`{"id":"C-1","metadata":{"a":[[[[[[[[[[[[[[[[[[[[1.0]]]]]]]]]]]]]]]]]]]]}}`,
}

func TestCanonicalJSONIsTheReferenceForParsedUpdates(t *testing.T) {
	for _, doc := range canonicalDocs {
		t.Run(doc+" is written as the reference writes it", func(t *testing.T) {
			u, err := ParseCustomerUpdate([]byte(doc))
			require.NoError(t, err)
			_, refErr := canonicalJSONReference(u)
			assert.Equal(t, refErr == nil, takesTheDirectPath(u), "the direct writer writes all the reference writes")
			requireTheReference(t, u)
		})
	}
}

// FuzzCanonicalJSONIsTheReference: for any input that parses, CanonicalJSON
// and Digest give what the reference gives, bytes or error. Explore with
// go test ./adapter -run '^$' -fuzz FuzzCanonicalJSONIsTheReference.
func FuzzCanonicalJSONIsTheReference(f *testing.F) {
	for _, doc := range canonicalDocs {
		f.Add([]byte(doc))
	}
	for _, name := range slices.Sorted(maps.Keys(canonicalSamples)) {
		for _, raw := range canonicalSamples[name] {
			f.Add([]byte(`{"id":"C-1","metadata":{"v":` + raw + `}}`))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := ParseCustomerUpdate(data)
		if err != nil {
			return
		}
		requireTheReference(t, u)
	})
}
