package loopback

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOnlyLoopbackHostsAreLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"example.com", false},
		{"localhost.example.com", false},
		{"10.0.0.1", false},
		{"", false},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%q is not loopback", tt.host)
		if tt.want {
			name = fmt.Sprintf("%q is loopback", tt.host)
		}
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tt.want, Is(tt.host))
		})
	}
}
