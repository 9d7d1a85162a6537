//go:build !unix

package statetest

import "time"

// cpuTime is 0: this platform's CPU time is not measured.
func cpuTime() time.Duration { return 0 }
