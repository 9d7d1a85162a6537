// Package pacing holds the rule both of custsync's rate limiters follow
// for documented limits: the in-process one in package adapter and the
// Redis one in adapter/redislimit, so that the two pace alike.
//
// Requests start at SafetyFactor of the documented rate: the vendor counts
// arrivals, we count departures, and the network moves requests closer
// together on the way; at Billbee's 2/s that leaves 20 ms of jitter per
// window and reaches 98% of the allowed rate. The first 429 (a vendor
// stricter than documented, other processes sharing the key, more jitter)
// slows the key to ThrottleBackoff of its pace, once per second however
// many requests were refused together, never below ThrottleMinShare of
// SafetyFactor; each quiet ThrottleRecovery then speeds it up by
// ThrottleCreep, back to SafetyFactor. So a vendor whose window is
// stricter than documented sees a 429 every few seconds at most, not a
// storm, and one as documented sees none.
package pacing

import "time"

// The pacing constants; see the package doc.
const (
	SafetyFactor     = 0.98
	ThrottleBackoff  = 0.8
	ThrottleMinShare = 0.5
	ThrottleCreep    = 1.05
	ThrottleRecovery = 2 * time.Second
	// MaxRetryAfter caps how long a vendor's Retry-After may hold a call
	// or pause a key.
	MaxRetryAfter = 60 * time.Second
)
