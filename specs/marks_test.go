package specs_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/specs"
)

// fixturesDir finds shared/vendors/fixtures beside the repository (where
// the workplace and CI keep the vendor material), walking up from the
// package directory. The fixtures are read there, never copied. ok is
// false where there is none: a user's own clone has no shared/.
func fixturesDir(t *testing.T) (dir string, ok bool) {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		candidate := filepath.Join(dir, "shared", "vendors", "fixtures")
		if fi, err := os.Stat(candidate); err == nil && fi.IsDir() {
			return candidate, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// checkMark says what is wrong with one example's marks, or nil. Every
// example is an Example Object marked either `x-constructed: true` (we
// made it) or `x-source: <public source>` (the vendor, its SDK or an
// integrator published it). One with `x-fixture` must equal that fixture
// file, so "taken from the docs" stays checkable evidence.
func checkMark(ex example, readFixture func(string) ([]byte, error)) error {
	if ex.obj == nil {
		return errors.New("a bare `example:` cannot be marked; use `examples:` with x-source or x-constructed")
	}
	constructed, _ := ex.obj.Extensions["x-constructed"].(bool)
	source, _ := ex.obj.Extensions["x-source"].(string)
	fixture, _ := ex.obj.Extensions["x-fixture"].(string)
	switch {
	case constructed && source != "":
		return errors.New("both x-constructed and x-source: an example is evidence or it is not")
	case constructed && fixture != "":
		return errors.New("x-constructed with an x-fixture")
	case !constructed && strings.TrimSpace(source) == "":
		return errors.New("unmarked: add x-source naming the public source, or x-constructed: true")
	case fixture == "":
		return nil
	}
	raw, err := readFixture(fixture)
	if err != nil {
		return fmt.Errorf("x-fixture %s: %w", fixture, err)
	}
	var want any
	if err := json.Unmarshal(raw, &want); err != nil {
		return fmt.Errorf("x-fixture %s is not JSON: %w", fixture, err)
	}
	got, err := json.Marshal(ex.value)
	if err != nil {
		return err
	}
	var have any
	if err := json.Unmarshal(got, &have); err != nil {
		return err
	}
	if !reflect.DeepEqual(want, have) {
		return fmt.Errorf("differs from x-fixture %s: keep the published example verbatim (or mark it x-constructed)\n want %s\n have %s", fixture, raw, got)
	}
	return nil
}

func TestEveryExampleIsMarkedAsEvidenceOrAsConstructed(t *testing.T) {
	// The marks are checked everywhere; whether an x-fixture example is
	// verbatim needs the vendor material, which only the workplace and CI
	// keep beside the repository (it is other people's data: never copied).
	dir, haveFixtures := fixturesDir(t)
	if !haveFixtures && os.Getenv("CI") != "" {
		require.FailNow(t, "shared/vendors/fixtures not found",
			"CI checks the spec examples against the vendor material in ../shared/vendors/fixtures (beside the repository); put a copy of shared/ there")
	}
	read := func(name string) ([]byte, error) {
		if !haveFixtures {
			return nil, errNoFixtures
		}
		return os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	}
	unverified := 0
	for _, v := range specs.Vendors {
		for _, ex := range examplesOf(load(t, v)) {
			t.Run(fmt.Sprintf("%s/%s", v, ex.where), func(t *testing.T) {
				err := checkMark(ex, read)
				if errors.Is(err, errNoFixtures) {
					unverified++
					return
				}
				assert.NoError(t, err)
			})
		}
	}
	if unverified > 0 {
		t.Logf("%d examples' marks checked, but not whether they equal their x-fixture: no shared/vendors/fixtures beside this clone (CI has it)", unverified)
	}
}

// errNoFixtures is what reading a fixture gives where shared/ is absent.
var errNoFixtures = errors.New("the vendor material (shared/vendors/fixtures) is not beside this clone")

// The mark check must be able to fail.
func TestAnUnmarkedOrAlteredExampleIsCaught(t *testing.T) {
	fixture := func(string) ([]byte, error) { return []byte(`{"code":"404","reason":"Customer not found."}`), nil }
	obj := func(ext map[string]any) *openapi3.Example { return &openapi3.Example{Extensions: ext} }
	value := map[string]any{"code": "404", "reason": "Customer not found."}
	tests := []struct {
		name string
		ex   example
		ok   bool
	}{
		{"a verbatim example with its source passes", example{value: value, obj: obj(map[string]any{"x-source": "docs", "x-fixture": "f.json"})}, true},
		{"a constructed example passes", example{value: value, obj: obj(map[string]any{"x-constructed": true})}, true},
		{"an unmarked example fails", example{value: value, obj: obj(nil)}, false},
		{"a bare example fails", example{value: value}, false},
		{"an example edited away from its fixture fails", example{value: map[string]any{"code": "404", "reason": "Not found"}, obj: obj(map[string]any{"x-source": "docs", "x-fixture": "f.json"})}, false},
		{"an example marked both ways fails", example{value: value, obj: obj(map[string]any{"x-source": "docs", "x-constructed": true})}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkMark(tt.ex, fixture)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}
