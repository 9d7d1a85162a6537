package bridge

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// RequestID looks the names up without canonicalising them.
func TestRequestIDHeadersAreCanonical(t *testing.T) {
	for _, name := range requestIDHeaders {
		assert.Equal(t, http.CanonicalHeaderKey(name), name)
	}
}

func TestRequestIDIsTheFirstNamedHeaderWithAValue(t *testing.T) {
	h := http.Header{}
	h.Set("cf-ray", "ray-1")
	h.Set("x-request-id", "")
	assert.Equal(t, "ray-1", RequestID(h), "an empty value is no id")
	h.Set("x-request-id", "req-1")
	assert.Equal(t, "req-1", RequestID(h))
	assert.Empty(t, RequestID(http.Header{}))
}
