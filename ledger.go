package commet

import "encoding/binary"

// ledger is a compact table of exact IDs: each distinct ID is one record
// (the state of its ID and the fingerprint of its customer) and its bytes
// in an arena, found through an open-addressing index whose probes compare
// the stored bytes exactly, so two different IDs are never taken for one,
// whatever their hashes. The arena and the records grow in fixed-size
// chunks, so growth never copies them; only the index, 4 bytes a slot,
// doubles. Nothing in it holds a pointer, so the garbage collector does not
// scan it.
type ledger struct {
	hash   func(string) uint64
	arena  [][]byte      // the IDs, each as a uvarint length and its bytes
	recs   [][]ledgerRec // chunks of recsPerChunk records
	n      uint32        // records
	index  []uint32      // record number + 1, or 0 for an empty slot
	unused int           // bytes free at the end of the last arena chunk
}

// ledgerRec is what Import remembers of one ID.
type ledgerRec struct {
	state idState
	held  fingerprint
	at    uint32 // arena chunk of the ID
	off   uint32 // offset of the ID in its chunk
}

const (
	arenaChunk   = 64 << 10
	recsPerChunk = 4096
	// maxLedger caps the records, so that a record number plus one fits a
	// slot of the index. An ID past it goes untracked (see add).
	maxLedger = 1<<31 - 1
)

func newLedger(hash func(string) uint64) *ledger {
	return &ledger{hash: hash, index: make([]uint32, 1024)}
}

// find returns the record of id, if it has one.
func (l *ledger) find(id string) (rec *ledgerRec, ok bool) {
	mask := uint64(len(l.index) - 1)
	for i := l.hash(id) & mask; ; i = (i + 1) & mask {
		slot := l.index[i]
		if slot == 0 {
			return nil, false
		}
		r := l.record(slot - 1)
		if l.idOf(r) == id {
			return r, true
		}
	}
}

// add gives id, which has no record yet, a record in the given state, or
// reports false when the ledger is full (more than two billion IDs).
func (l *ledger) add(id string, state idState) (rec *ledgerRec, ok bool) {
	if l.n >= maxLedger {
		return nil, false
	}
	if uint64(l.n+1)*4 > uint64(len(l.index))*3 { // keep the load at most 3/4
		l.grow()
	}
	at, off := l.store(id)
	num := l.n
	l.n++
	if int(num/recsPerChunk) == len(l.recs) {
		l.recs = append(l.recs, make([]ledgerRec, recsPerChunk))
	}
	r := &l.recs[num/recsPerChunk][num%recsPerChunk]
	*r = ledgerRec{state: state, at: at, off: off}
	l.place(num, l.hash(id))
	return r, true
}

func (l *ledger) record(num uint32) *ledgerRec {
	return &l.recs[num/recsPerChunk][num%recsPerChunk]
}

func (l *ledger) idOf(r *ledgerRec) string {
	b := l.arena[r.at][r.off:]
	n, w := binary.Uvarint(b)
	return string(b[w : uint64(w)+n]) // no copy: the compiler sees the comparison
}

// store copies id into the arena: into the last chunk when it fits, else a
// new chunk (of its own size, for an ID longer than a chunk).
func (l *ledger) store(id string) (at, off uint32) {
	need := binary.PutUvarint(make([]byte, binary.MaxVarintLen64), uint64(len(id))) + len(id)
	if need > l.unused {
		size := max(need, arenaChunk)
		l.arena = append(l.arena, make([]byte, 0, size))
		l.unused = size
	}
	last := len(l.arena) - 1
	chunk := l.arena[last]
	off = uint32(len(chunk))
	chunk = binary.AppendUvarint(chunk, uint64(len(id)))
	chunk = append(chunk, id...)
	l.arena[last] = chunk
	l.unused -= need
	return uint32(last), off
}

func (l *ledger) place(num uint32, h uint64) {
	mask := uint64(len(l.index) - 1)
	i := h & mask
	for l.index[i] != 0 {
		i = (i + 1) & mask
	}
	l.index[i] = num + 1
}

// grow doubles the index and places every record again.
func (l *ledger) grow() {
	l.index = make([]uint32, 2*len(l.index))
	for num := range l.n {
		l.place(num, l.hash(l.idOf(l.record(num))))
	}
}
