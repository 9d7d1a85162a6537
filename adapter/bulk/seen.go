package bulk

import "math"

// seenTable maps a customer's key hash to how many of its records the run
// has seen, for the customers whose details incremental sync forgot:
// almost every customer of a night, so it is what a night's memory grows
// with. It is an open-addressing table (linear probing, deletion by
// backward shift) of 9 bytes a slot, 10 to 20 bytes an entry: about half
// of a Go map from uint64 to uint32.
type seenTable struct {
	keys   []uint64 // the hashes; 0 marks an empty slot (see slotKey)
	counts []uint8  // the counts, up to 254; 255 means "in big"
	big    map[uint64]uint32
	n      int
}

// bigCount in counts sends a lookup to big.
const bigCount = math.MaxUint8

// slotKey is h as stored: never 0, which marks an empty slot. Two hashes
// that differ only there (0 and 1) are taken for one customer, as two
// that collide are, with a chance of about 2^-63 a pair of customers: the
// customer not met is then compared with its stored sequence from a later
// place than its first, so its records that differ from what is stored
// there are sent, as always.
func slotKey(h uint64) uint64 { return max(h, 1) }

func (t *seenTable) len() int { return t.n }

// find returns the slot of h, or of the empty slot where it would go.
func (t *seenTable) find(h uint64) (int, bool) {
	mask := uint64(len(t.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			return int(i), true
		case 0:
			return int(i), false
		}
	}
}

// get returns the count of h, and whether h is in the table.
func (t *seenTable) get(h uint64) (uint32, bool) {
	if t.n == 0 {
		return 0, false
	}
	h = slotKey(h)
	i, ok := t.find(h)
	switch {
	case !ok:
		return 0, false
	case t.counts[i] == bigCount:
		return t.big[h], true
	}
	return uint32(t.counts[i]), true
}

// put sets the count of h.
func (t *seenTable) put(h uint64, count uint32) {
	if (t.n+1)*8 > len(t.keys)*7 { // at most 7/8 full
		t.grow()
	}
	h = slotKey(h)
	i, ok := t.find(h)
	if !ok {
		t.keys[i] = h
		t.n++
	} else if t.counts[i] == bigCount {
		delete(t.big, h)
	}
	if count < bigCount {
		t.counts[i] = uint8(count)
		return
	}
	t.counts[i] = bigCount
	if t.big == nil {
		t.big = map[uint64]uint32{}
	}
	t.big[h] = count
}

// remove takes h out of the table, if it is there.
func (t *seenTable) remove(h uint64) {
	if t.n == 0 {
		return
	}
	h = slotKey(h)
	i, ok := t.find(h)
	if !ok {
		return
	}
	if t.counts[i] == bigCount {
		delete(t.big, h)
	}
	// Backward shift: move up each later key of the run that may sit in
	// the freed slot (its home is not between the freed slot and it).
	mask := len(t.keys) - 1
	for j := (i + 1) & mask; t.keys[j] != 0; j = (j + 1) & mask {
		home := int(t.keys[j] & uint64(mask))
		if (j-home)&mask >= (j-i)&mask {
			t.keys[i], t.counts[i] = t.keys[j], t.counts[j]
			i = j
		}
	}
	t.keys[i], t.counts[i] = 0, 0
	t.n--
}

// grow doubles the table (from 1,024 slots) and places every key again.
func (t *seenTable) grow() {
	keys, counts := t.keys, t.counts
	size := max(2*len(keys), 1024)
	t.keys, t.counts = make([]uint64, size), make([]uint8, size)
	for i, k := range keys {
		if k != 0 {
			j, _ := t.find(k)
			t.keys[j], t.counts[j] = k, counts[i]
		}
	}
}
