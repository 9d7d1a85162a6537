package spelling_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/custsync/custsync/internal/spelling"
)

func TestClosestFindsTheNameASlipWasMeantFor(t *testing.T) {
	flags := []string{"file", "vendor", "concurrency", "deadline", "dry-run", "state", "json"}
	tests := []struct {
		typed string
		among []string
		want  string
	}{
		{"fiel", flags, "file"},              // two letters swapped
		{"concurency", flags, "concurrency"}, // one left out
		{"vendorr", flags, "vendor"},         // one too many
		{"dedline", flags, "deadline"},
		{"STATE", flags, "state"}, // case does not count
		{"bilbee", []string{"upwell", "bluetape", "billbee"}, "billbee"},
		{"pusj", []string{"update", "push", "sandbox", "vendors", "version"}, "push"},
		{"pull", []string{"update", "push", "sandbox", "vendors", "version"}, ""}, // half the word differs
		{"js", flags, ""},                                                         // too short to guess
		{"records", flags, ""},
		{"", flags, ""},
	}
	for _, tt := range tests {
		t.Run(tt.typed+" is taken for "+tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, spelling.Closest(tt.typed, tt.among))
		})
	}
}
