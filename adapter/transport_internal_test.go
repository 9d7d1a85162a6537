package adapter

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// requestID looks the names up without canonicalising them.
func TestRequestIDHeadersAreCanonical(t *testing.T) {
	for _, name := range requestIDHeaders {
		assert.Equal(t, http.CanonicalHeaderKey(name), name)
	}
}

func TestTheRequestIDIsTheFirstNamedHeaderWithAValue(t *testing.T) {
	h := http.Header{}
	h.Set("cf-ray", "ray-1")
	h.Set("x-request-id", "")
	assert.Equal(t, "ray-1", requestID(h), "an empty value is no id")
	h.Set("x-request-id", "req-1")
	assert.Equal(t, "req-1", requestID(h))
	assert.Empty(t, requestID(http.Header{}))
}
