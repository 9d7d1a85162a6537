package sandbox

import (
	"maps"
	"net/http"
	"sync"
)

// Stats counts what one vendor of the sandbox received and answered.
type Stats struct {
	// Requests is every request received, including those later reset.
	Requests int64
	// ByStatus counts answers by HTTP status, truncated ones included.
	ByStatus map[int]int64
	// TooManyRequests counts 429 answers, from the throttle or injected.
	TooManyRequests int64
	// Resets counts connections reset instead of answered.
	Resets int64
	// Truncated counts answers cut short.
	Truncated int64
}

type statsRecorder struct {
	mu sync.Mutex
	s  Stats
}

func newStatsRecorder() *statsRecorder {
	return &statsRecorder{s: Stats{ByStatus: make(map[int]int64)}}
}

func (r *statsRecorder) request() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Requests++
}

func (r *statsRecorder) answer(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.ByStatus[status]++
	if status == http.StatusTooManyRequests {
		r.s.TooManyRequests++
	}
}

func (r *statsRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Resets++
}

func (r *statsRecorder) truncated(status int) {
	r.answer(status)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Truncated++
}

func (r *statsRecorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.s
	s.ByStatus = maps.Clone(r.s.ByStatus)
	return s
}
