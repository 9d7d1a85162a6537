package retrypolicy

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWhatMayBeSentAgain(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		idempotent bool
		want       bool
	}{
		{"a 429 is retried whatever the method", http.StatusTooManyRequests, false, true},
		{"a 408 is retried whatever the method", http.StatusRequestTimeout, false, true},
		{"a 503 is retried for an idempotent request", http.StatusServiceUnavailable, true, true},
		{"a 503 is not retried for a POST, which may have applied", http.StatusServiceUnavailable, false, false},
		{"a 500 is not retried for a POST", http.StatusInternalServerError, false, false},
		{"a 400 is never retried", http.StatusBadRequest, true, false},
		{"a 200 is never retried", http.StatusOK, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, RetryableStatus(tt.status, tt.idempotent))
		})
	}
}

func TestGetAndPutAreIdempotentAndPostIsNot(t *testing.T) {
	assert.True(t, Idempotent(http.MethodGet))
	assert.True(t, Idempotent(http.MethodPut))
	assert.False(t, Idempotent(http.MethodPost))
	assert.False(t, Idempotent(http.MethodPatch))
}
