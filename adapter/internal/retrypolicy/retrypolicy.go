// Package retrypolicy says which HTTP requests may be sent again: the
// rule the Client's transport retries by, and the one the errors drivers
// build (adapter/driver.ResponseError) report in Error.Retryable, so that
// the two never disagree.
package retrypolicy

import "net/http"

// Idempotent reports whether sending a request of this method twice has
// the effect of sending it once.
func Idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// RetryableStatus reports whether a request that got this status may be
// sent again. 408 and 429 mean the request was not processed. 500, 502,
// 503 and 504 may come after the change was made (a gateway may time out
// on a vendor that went on working), so they are retried only for
// idempotent requests, as database/sql retries only what cannot apply twice.
func RetryableStatus(status int, idempotent bool) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}
