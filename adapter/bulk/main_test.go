package bulk_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test in the package ends with no goroutine left behind: a run
// that was broken out of, canceled, stopped or halted has finished its
// work when its iteration or Run returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
