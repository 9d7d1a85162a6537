package adapter_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
)

// digestOf parses a canonical-form update and returns its digest.
func digestOf(t testing.TB, doc string) string {
	t.Helper()
	u, err := adapter.ParseCustomerUpdate([]byte(doc))
	require.NoError(t, err, doc)
	d, err := u.Digest()
	require.NoError(t, err)
	return d
}

func TestDigestIsTheSameForEveryWayOfWritingOneUpdate(t *testing.T) {
	tests := []struct {
		name string
		a, b string
	}{
		{"keys in another order", `{"id":"C-1","name":"Acme","email":"a@b.example"}`, `{"email":"a@b.example","name":"Acme","id":"C-1"}`},
		{"metadata keys in another order", `{"id":"C-1","metadata":{"a":1,"b":{"x":1,"y":2}}}`, `{"id":"C-1","metadata":{"b":{"y":2,"x":1},"a":1}}`},
		{"vendor section keys in another order", `{"id":"1","billbee":{"type":1,"priceGroupId":7}}`, `{"billbee":{"priceGroupId":7,"type":1},"id":"1"}`},
		{"a number with a trailing zero", `{"id":"C-1","metadata":{"n":1.5}}`, `{"id":"C-1","metadata":{"n":1.50}}`},
		{"an integer written with a fraction", `{"id":"C-1","metadata":{"n":1}}`, `{"id":"C-1","metadata":{"n":1.0}}`},
		{"an integer written with an exponent", `{"id":"C-1","metadata":{"n":1200}}`, `{"id":"C-1","metadata":{"n":1.2E+3}}`},
		{"a fraction written with an exponent", `{"id":"C-1","metadata":{"n":0.015}}`, `{"id":"C-1","metadata":{"n":15e-3}}`},
		{"minus zero", `{"id":"C-1","metadata":{"n":0}}`, `{"id":"C-1","metadata":{"n":-0.0e7}}`},
		{"numbers inside lists", `{"id":"C-1","metadata":{"l":[1,2.50]}}`, `{"id":"C-1","metadata":{"l":[1e0,25e-1]}}`},
		{"one instant in two time zones", `{"id":"C-1","modifiedAt":"2024-03-01T12:00:00Z"}`, `{"id":"C-1","modifiedAt":"2024-03-01T13:00:00.000+01:00"}`},
		{"a string escaped another way", `{"id":"C-1","name":"Ä&<"}`, `{"id":"C-1","name":"\u00c4\u0026\u003c"}`},
		{"an empty vendor section and none", `{"id":"C-1","name":"A","upwell":{}}`, `{"id":"C-1","name":"A"}`},
		{"a null vendor section and none", `{"id":"C-1","name":"A","billbee":null}`, `{"id":"C-1","name":"A"}`},
		{"white space", `{"id":"C-1","name":"A"}`, " {\n\t\"id\" : \"C-1\" ,\"name\":\"A\" } "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, digestOf(t, tt.a), digestOf(t, tt.b))
		})
	}
}

func TestDigestTellsDifferentUpdatesApart(t *testing.T) {
	tests := []struct {
		name string
		a, b string
	}{
		{"another customer", `{"id":"C-1","name":"A"}`, `{"id":"C-2","name":"A"}`},
		{"another source system", `{"id":"C-1","name":"A","sourceSystem":"X"}`, `{"id":"C-1","name":"A","sourceSystem":"Y"}`},
		{"a value and null", `{"id":"C-1","metadata":{"n":0}}`, `{"id":"C-1","metadata":{"n":null}}`},
		{"a number and the string of it", `{"id":"C-1","metadata":{"n":1}}`, `{"id":"C-1","metadata":{"n":"1"}}`},
		{"two integers beyond float64's precision", `{"id":"C-1","metadata":{"n":12345678901234567890}}`, `{"id":"C-1","metadata":{"n":12345678901234567891}}`},
		{"two numbers a tiny step apart", `{"id":"C-1","metadata":{"n":1e-400}}`, `{"id":"C-1","metadata":{"n":2e-400}}`},
		{"the sign of a number", `{"id":"C-1","metadata":{"n":5}}`, `{"id":"C-1","metadata":{"n":-5}}`},
		{"a list in another order", `{"id":"C-1","ccEmails":["a@x.example","b@x.example"]}`, `{"id":"C-1","ccEmails":["b@x.example","a@x.example"]}`},
		{"an empty list and null", `{"id":"C-1","ccEmails":[]}`, `{"id":"C-1","ccEmails":null}`},
		{"an empty object and null in metadata", `{"id":"C-1","metadata":{"o":{}}}`, `{"id":"C-1","metadata":{"o":null}}`},
		{"another instant", `{"id":"C-1","modifiedAt":"2024-03-01T12:00:00Z"}`, `{"id":"C-1","modifiedAt":"2024-03-01T12:00:00.001Z"}`},
		{"letter case", `{"id":"C-1","name":"acme"}`, `{"id":"C-1","name":"Acme"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NotEqual(t, digestOf(t, tt.a), digestOf(t, tt.b))
		})
	}
}

// fieldSamples holds, for every portable field, two different values in
// the canonical JSON form. A field added to the model without a sample
// fails TestDigestCoversEveryField, so the digest cannot miss a field.
var fieldSamples = map[string][2]string{
	driver.FieldSourceSystem:           {`"ACME"`, `"OTHER"`},
	driver.FieldName:                   {`"Acme"`, `"Acme Corp"`},
	driver.FieldFirstName:              {`"Max"`, `"Moritz"`},
	driver.FieldLastName:               {`"Muster"`, `"Mustermann"`},
	driver.FieldEmail:                  {`"a@x.example"`, `"b@x.example"`},
	driver.FieldCCEmails:               {`["a@x.example"]`, `[]`},
	driver.FieldPhone:                  {`"+491"`, `"+492"`},
	driver.FieldVATID:                  {`"DE1"`, `"DE2"`},
	driver.FieldMetadata:               {`{"a":1}`, `{}`},
	driver.FieldModifiedAt:             {`"2024-01-01T00:00:00Z"`, `"2024-01-02T00:00:00Z"`},
	driver.FieldUpwellBillToCustomerID: {`"P-1"`, `"P-2"`},
	driver.FieldUpwellDueOption:        {`30`, `0`},
	driver.FieldBillbeePriceGroupID:    {`1`, `2`},
	driver.FieldBillbeeLanguageID:      {`1`, `2`},
	driver.FieldBillbeeType:            {`0`, `1`},
	driver.FieldBillbeeNumber:          {`0`, `7`},
}

// withField returns the canonical form of an update of C-1 that has field
// name set to the raw JSON value.
func withField(name, value string) string {
	if section, key, ok := strings.Cut(name, "."); ok {
		return fmt.Sprintf(`{"id":"C-1",%q:{%q:%s}}`, section, key, value)
	}
	return fmt.Sprintf(`{"id":"C-1",%q:%s}`, name, value)
}

func TestDigestCoversEveryField(t *testing.T) {
	base := digestOf(t, `{"id":"C-1"}`)
	for _, name := range adapter.FieldNames() {
		if name == driver.FieldID {
			continue
		}
		t.Run(name+" absent, null and two values give four digests", func(t *testing.T) {
			samples, ok := fieldSamples[name]
			require.True(t, ok, "add two sample values of %s to fieldSamples", name)
			digests := []string{base}
			if name != driver.FieldSourceSystem { // a plain string: it has no null
				digests = append(digests, digestOf(t, withField(name, "null")))
			}
			digests = append(digests, digestOf(t, withField(name, samples[0])), digestOf(t, withField(name, samples[1])))
			assert.Len(t, slices.Compact(slices.Sorted(slices.Values(digests))), len(digests), "digests: %v", digests)
		})
	}
}

func TestCanonicalJSONWritesNumbersByTheirExactValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{`0`, `0`},
		{`-0.000`, `0`},
		{`7`, `7`},
		{`1200`, `12e2`},
		{`1.50`, `15e-1`},
		{`0.001`, `1e-3`},
		{`-12.5e+3`, `-125e2`},
		{`12345678901234567890`, `1234567890123456789e1`},
		{`1e99999999999999999999`, `1e99999999999999999999`},
		{`100e-2`, `1`},
	}
	for _, tt := range tests {
		t.Run(tt.in+" is written "+tt.want, func(t *testing.T) {
			u, err := adapter.ParseCustomerUpdate([]byte(`{"id":"C-1","metadata":{"n":` + tt.in + `}}`))
			require.NoError(t, err)
			got, err := u.CanonicalJSON()
			require.NoError(t, err)
			assert.Equal(t, `{"id":"C-1","metadata":{"n":`+tt.want+`}}`, string(got))
		})
	}
}

func TestDigestOfAnUpdateBuiltInGoEqualsItsJSONForm(t *testing.T) {
	u := &adapter.CustomerUpdate{
		ID:         "C-1",
		Name:       adapter.Set("Acme"),
		VATID:      adapter.Clear[string](),
		Metadata:   adapter.Set(adapter.JSONObject{"n": 1.5, "s": "x"}),
		ModifiedAt: adapter.Set(time.Date(2024, 3, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600))),
		Upwell:     &adapter.UpwellFields{DueOption: adapter.Set[int32](30)},
		Billbee:    &adapter.BillbeeFields{},
	}
	got, err := u.Digest()
	require.NoError(t, err)
	assert.Equal(t, digestOf(t, `{"upwell":{"dueOption":30},"modifiedAt":"2024-03-01T12:00:00Z",
		"metadata":{"s":"x","n":15e-1},"vatId":null,"name":"Acme","id":"C-1"}`), got)
	assert.True(t, strings.HasPrefix(got, "v1"+":"))
}

// TestDigestPropertyHoldsForRandomUpdates builds random updates, writes
// each many ways (keys shuffled, metadata numbers respelled) and checks
// that every spelling has the update's digest, while changing any one
// field's state changes it.
func TestDigestPropertyHoldsForRandomUpdates(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	names := adapter.FieldNames()[1:]
	for i := range 300 {
		fields := map[string]string{} // field -> raw JSON value; missing = absent
		for _, name := range names {
			switch rng.IntN(4) {
			case 0:
				if name != driver.FieldSourceSystem {
					fields[name] = "null"
				}
			case 1, 2:
				fields[name] = fieldSamples[name][rng.IntN(2)]
			}
		}
		if rng.IntN(2) == 0 {
			fields[driver.FieldMetadata] = randomObject(rng, 3)
		}
		doc := render(rng, fields, false)
		want := digestOf(t, doc)
		for range 5 {
			again := render(rng, fields, true)
			require.Equal(t, want, digestOf(t, again), "update %d:\n%s\n%s", i, doc, again)
		}
		name := names[rng.IntN(len(names))]
		changed := maps.Clone(fields)
		if _, ok := changed[name]; ok {
			delete(changed, name)
		} else {
			changed[name] = fieldSamples[name][0]
		}
		assert.NotEqual(t, want, digestOf(t, render(rng, changed, true)), "changing %s in update %d", name, i)
	}
}

// randomObject is a random JSON object of numbers, strings, lists and
// nested objects.
func randomObject(rng *rand.Rand, depth int) string {
	var parts []string
	for i := range rng.IntN(4) {
		var v string
		switch k := rng.IntN(5); {
		case k == 0 && depth > 0:
			v = randomObject(rng, depth-1)
		case k == 1:
			v = fmt.Sprintf("[%d,%q,null]", rng.IntN(100), fmt.Sprint(rng.IntN(9)))
		case k == 2:
			v = fmt.Sprintf("%q", fmt.Sprint("s", rng.IntN(9)))
		default:
			v = fmt.Sprintf("%d.%d", rng.IntN(1000)-500, rng.IntN(100))
		}
		parts = append(parts, fmt.Sprintf("%q:%s", fmt.Sprint("k", i), v))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// render writes the update with fields; respell shuffles every object's
// keys and writes each metadata number another way with the same value.
func render(rng *rand.Rand, fields map[string]string, respell bool) string {
	top := map[string]any{"id": json.RawMessage(`"C-1"`)}
	for name, raw := range fields {
		v := any(json.RawMessage(raw))
		if name == driver.FieldMetadata && respell {
			v = respelled(rng, decodeNumbers(raw))
		}
		if section, key, ok := strings.Cut(name, "."); ok {
			s, _ := top[section].(map[string]any)
			if s == nil {
				s = map[string]any{}
				top[section] = s
			}
			s[key] = v
			continue
		}
		top[name] = v
	}
	var b bytes.Buffer
	writeShuffled(rng, &b, top, respell)
	return b.String()
}

func decodeNumbers(raw string) any {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	return v
}

// respelled returns v with every number written another way.
func respelled(rng *rand.Rand, v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = respelled(rng, x)
		}
	case []any:
		for i, x := range v {
			v[i] = respelled(rng, x)
		}
	case json.Number:
		s := string(v)
		switch rng.IntN(4) {
		case 0:
			if !strings.ContainsAny(s, ".eE") {
				s += ".000"
			} else if !strings.ContainsAny(s, "eE") {
				s += "00"
			}
		case 1:
			s += "e0"
		case 2:
			if !strings.ContainsAny(s, ".eE") {
				s += "0e-1"
			}
		}
		return json.RawMessage(s)
	}
	return v
}

func writeShuffled(rng *rand.Rand, b *bytes.Buffer, v any, shuffle bool) {
	switch v := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		if shuffle {
			rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%q:", k)
			writeShuffled(rng, b, v[k], shuffle)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeShuffled(rng, b, x, shuffle)
		}
		b.WriteByte(']')
	case json.RawMessage:
		b.Write(v)
	default:
		out, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		b.Write(out)
	}
}

// FuzzDigest: for any update that parses, its canonical form parses back
// to an update with the same digest, and writing the update with its keys
// in another order does not change the digest.
func FuzzDigest(f *testing.F) {
	for _, seed := range []string{
		`{"id":"C-1","name":"Acme","email":null}`,
		`{"id":"C-1","metadata":{"n":1.50,"m":[1e3,-0.0,{"x":12345678901234567890}]}}`,
		`{"id":"C-1","modifiedAt":"2024-03-01T13:00:00+01:00","upwell":{}}`,
		`{"id":"100000150176895","billbee":{"priceGroupId":1818,"type":0,"number":null}}`,
		`{"id":"C-1","metadata":{"n":1e-99999999999999999999}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := adapter.ParseCustomerUpdate(data)
		if err != nil {
			return
		}
		want, err := u.Digest()
		require.NoError(t, err)
		canon, err := u.CanonicalJSON()
		require.NoError(t, err)
		assert.Equal(t, want, digestOf(t, string(canon)), "the canonical form has the update's digest: %s", canon)

		var tree any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&tree))
		var b bytes.Buffer
		writeShuffled(rand.New(rand.NewPCG(uint64(len(data)), 1)), &b, numbersRaw(tree), true)
		assert.Equal(t, want, digestOf(t, b.String()), "keys in another order: %s", b.String())
	})
}

// numbersRaw turns json.Number leaves into raw JSON, so writeShuffled
// writes them exactly as read.
func numbersRaw(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = numbersRaw(x)
		}
	case []any:
		for i, x := range v {
			v[i] = numbersRaw(x)
		}
	case json.Number:
		return json.RawMessage(v)
	}
	return v
}
