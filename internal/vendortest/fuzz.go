package vendortest

import (
	"errors"
	"testing"

	"github.com/custsync/custsync/adapter"
)

// FuzzStatus maps any int to an HTTP status from 200 to 599, so fuzzers
// explore statuses a vendor can send.
func FuzzStatus(n int) int {
	if n < 0 {
		n = -n
	}
	return 200 + n%400
}

// CheckOutcome asserts what every driver promises for any answer: success
// only on 2xx with a Result, otherwise an *adapter.Error with a known code
// and the status it got.
func CheckOutcome(t *testing.T, res *adapter.Result, err error, lastStatus int) {
	t.Helper()
	if err == nil {
		if res == nil {
			t.Fatal("nil Result with nil error")
		}
		if res.HTTPStatus < 200 || res.HTTPStatus > 299 {
			t.Fatalf("success reported for HTTP %d", res.HTTPStatus)
		}
		return
	}
	var e *adapter.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *adapter.Error, got %T: %v", err, err)
	}
	if e.Code < adapter.Unknown || e.Code > adapter.Internal {
		t.Fatalf("unknown code %d", e.Code)
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != lastStatus {
		t.Fatalf("error status %d, last answer %d", e.HTTPStatus, lastStatus)
	}
	_ = e.Error()
}
