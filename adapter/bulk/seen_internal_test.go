package bulk

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSeenTableAgreesWithAMap runs random puts, gets and removes against
// a seenTable and a Go map side by side. The hashes share their low bits
// in small groups, so that runs of probes and backward shifts across them
// (and across the table's end) are the rule, not the exception.
func TestSeenTableAgreesWithAMap(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var table seenTable
		want := map[uint64]uint32{}
		hash := func() uint64 {
			home := rng.Uint64N(64) | (rng.Uint64N(3) * 1023) // a few homes, near the table's end too
			return rng.Uint64N(8)<<40 | home                  // several keys a home
		}
		for op := range 20_000 {
			h := hash()
			switch rng.IntN(4) {
			case 0, 1:
				n := uint32(rng.IntN(3) + 1)
				if rng.IntN(50) == 0 {
					n = 255 + uint32(rng.IntN(1000)) // past a byte
				}
				table.put(h, n)
				want[max(h, 1)] = n
			case 2:
				table.remove(h)
				delete(want, max(h, 1))
			default:
				got, ok := table.get(h)
				n, wantOK := want[max(h, 1)]
				require.Equal(t, wantOK, ok, "seed %d op %d: %x present", seed, op, h)
				require.Equal(t, n, got, "seed %d op %d: %x", seed, op, h)
			}
			require.Equal(t, len(want), table.len())
		}
		for h, n := range want {
			got, ok := table.get(h)
			require.True(t, ok, "seed %d: %x lost", seed, h)
			require.Equal(t, n, got)
		}
	}
}

func TestSeenTableTakesAboutHalfAMapsMemory(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for _, n := range []uint64{100_000, 200_000, 300_000} { // just under a doubling, and just over
		before := heap()
		var table seenTable
		for i := range n {
			table.put(i*0x9E3779B97F4A7C15, 1)
		}
		tableBytes := heap() - before
		runtime.KeepAlive(&table)
		before = heap()
		m := map[uint64]uint32{}
		for i := range n {
			m[i*0x9E3779B97F4A7C15] = 1
		}
		mapBytes := heap() - before
		runtime.KeepAlive(m)
		t.Logf("%d entries: %.1f bytes an entry, a map %.1f", n, float64(tableBytes)/float64(n), float64(mapBytes)/float64(n))
		assert.Less(t, float64(tableBytes), 0.6*float64(mapBytes), "%d entries", n)
	}
}
