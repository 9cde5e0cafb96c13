package commet

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// ledger is a compact table of exact IDs: each distinct ID is one record
// (the state of its ID and the fingerprint of its customer) and its bytes
// in an arena, found through an open-addressing index whose probes compare
// the stored bytes exactly, so two different IDs are never taken for one,
// whatever their hashes. The arena and the records grow in fixed-size
// chunks, so growth never copies them; only the index, 4 bytes a slot,
// grows, by half (see grow).
//
// The chunks and the index hold no pointer, and on unix they are mapped
// from the operating system (see ledgerAlloc) rather than taken from the Go
// heap: the garbage collector neither scans them nor counts them when it
// lets the heap grow to twice what is live, so they cost what they hold,
// and not twice that. free gives them back; nothing may touch the ledger
// or a record of it afterwards.
type ledger struct {
	hash  func(string) uint64
	arena [][]byte      // chunks of arenaChunk bytes: the IDs, each as a uvarint length and its bytes
	used  int           // bytes used in the last arena chunk
	recs  [][]ledgerRec // chunks of recsPerChunk records
	n     uint32        // records
	index []uint32      // record number + 1, or 0 for an empty slot
	// mapped are the blocks that ledgerAlloc mapped, for free to unmap.
	mapped [][]byte
}

// ledgerRec is what Import remembers of one ID, in 26 bytes: the
// fingerprint of its customer, its state (the low 48 bits of an idState)
// and the position of its bytes in the arena, in 16-bit halves so that
// the record needs no padding.
type ledgerRec struct {
	held fingerprint
	st   [3]uint16
	pos  [2]uint16
}

func (r *ledgerRec) state() idState {
	return idState(r.st[0]) | idState(r.st[1])<<16 | idState(r.st[2])<<32
}

// setState keeps s's low 48 bits: items up to 2^46 (at a million items a
// second, two years of import).
func (r *ledgerRec) setState(s idState) {
	r.st = [3]uint16{uint16(s), uint16(s >> 16), uint16(s >> 32)}
}

func (r *ledgerRec) position() uint32 { return uint32(r.pos[0]) | uint32(r.pos[1])<<16 }

const (
	// arenaShift sizes an arena chunk; a position is the chunk's number
	// times its size plus the offset in it, in 32 bits.
	arenaShift   = 18
	arenaChunk   = 1 << arenaShift
	maxChunks    = 1 << (32 - arenaShift)
	recsPerChunk = 16384
	// maxLedger caps the records, so that a record number plus one fits a
	// slot of the index. An ID past it goes untracked (see add).
	maxLedger = 1<<31 - 1
	// minIndex is the index's first size, in slots.
	minIndex = 1024
)

var recSize = int(unsafe.Sizeof(ledgerRec{}))

func newLedger(hash func(string) uint64) *ledger {
	l := &ledger{hash: hash}
	l.index = l.allocIndex(minIndex)
	return l
}

// find returns the record of id, if it has one.
func (l *ledger) find(id string) (rec *ledgerRec, ok bool) {
	if len(l.index) == 0 { // freed
		return nil, false
	}
	for i := l.home(l.hash(id)); ; i = l.next(i) {
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
// reports false when the ledger cannot hold it: an ID that does not fit an
// arena chunk (Import refuses IDs of more than 255 characters before), or
// a ledger full (two billion IDs, or 4 GiB of them). An ID left out is
// untracked: Import sends its repeats as it would any item.
func (l *ledger) add(id string, state idState) (rec *ledgerRec, ok bool) {
	need := uvarintLen(uint64(len(id))) + len(id)
	switch {
	case len(l.index) == 0, l.n >= maxLedger, need > arenaChunk:
		return nil, false
	case need > arenaChunk-l.used && len(l.arena) == maxChunks:
		return nil, false
	}
	if uint64(l.n+1)*4 > uint64(len(l.index))*3 { // keep the load at most 3/4
		l.grow()
	}
	pos := l.store(id, need)
	num := l.n
	l.n++
	if int(num/recsPerChunk) == len(l.recs) {
		b := l.alloc(recsPerChunk * recSize)
		l.recs = append(l.recs, unsafe.Slice((*ledgerRec)(unsafe.Pointer(&b[0])), recsPerChunk))
	}
	r := l.record(num)
	*r = ledgerRec{pos: [2]uint16{uint16(pos), uint16(pos >> 16)}}
	r.setState(state)
	l.place(num, l.hash(id))
	return r, true
}

func (l *ledger) record(num uint32) *ledgerRec {
	return &l.recs[num/recsPerChunk][num%recsPerChunk]
}

// idOf is the ID of r, as a view of the arena's bytes, not a copy: it is
// only compared or hashed, never kept.
func (l *ledger) idOf(r *ledgerRec) string {
	pos := r.position()
	b := l.arena[pos>>arenaShift][pos&(arenaChunk-1):]
	n, w := binary.Uvarint(b)
	if n == 0 {
		return ""
	}
	return unsafe.String(&b[w], int(n))
}

// store copies id, of need bytes with its length, into the arena: into
// the last chunk when it fits, else a new one; it returns its position.
func (l *ledger) store(id string, need int) uint32 {
	if len(l.arena) == 0 || need > arenaChunk-l.used {
		l.arena = append(l.arena, l.alloc(arenaChunk))
		l.used = 0
	}
	last := len(l.arena) - 1
	chunk := l.arena[last]
	pos := uint32(last)<<arenaShift | uint32(l.used)
	w := binary.PutUvarint(chunk[l.used:], uint64(len(id)))
	copy(chunk[l.used+w:], id)
	l.used += need
	return pos
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

func (l *ledger) place(num uint32, h uint64) {
	i := l.home(h)
	for l.index[i] != 0 {
		i = l.next(i)
	}
	l.index[i] = num + 1
}

// home is the slot where the probes for hash h begin: h scaled to the
// index's size (which need not be a power of two) by its high bits.
func (l *ledger) home(h uint64) uint64 {
	hi, _ := bits.Mul64(h, uint64(len(l.index)))
	return hi
}

// next is the slot after i, the last one wrapping to the first.
func (l *ledger) next(i uint64) uint64 {
	if i++; i == uint64(len(l.index)) {
		return 0
	}
	return i
}

// grow makes the index half as large again and places
// every record again; the old index is given back at once. Growing by half
// rather than doubling keeps the load between 1/2 and 3/4 rather than 3/8
// and 3/4, and the old and new index held together while it grows at 2.5
// times the old one rather than 3.
func (l *ledger) grow() {
	old := l.index
	l.index = l.allocIndex(growIndex(len(old)))
	for num := range l.n {
		l.place(num, l.hash(l.idOf(l.record(num))))
	}
	l.release(unsafe.Slice((*byte)(unsafe.Pointer(&old[0])), 4*len(old)))
}

// growIndex is the size, in slots, of the index that follows one of
// slots: half as large again.
func growIndex(slots int) int { return slots + slots/2 }

func (l *ledger) allocIndex(slots int) []uint32 {
	b := l.alloc(4 * slots)
	return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), slots)
}

// alloc returns size zeroed bytes, mapped when it can (remembered for
// free), else from the heap.
func (l *ledger) alloc(size int) []byte {
	if b, ok := ledgerAlloc(size); ok {
		l.mapped = append(l.mapped, b)
		return b
	}
	return make([]byte, size)
}

// release gives back b, a block of alloc's, at once if it was mapped
// (else the garbage collector will).
func (l *ledger) release(b []byte) {
	for i, m := range l.mapped {
		if &m[0] == &b[0] {
			ledgerFree(m)
			l.mapped[i] = l.mapped[len(l.mapped)-1]
			l.mapped = l.mapped[:len(l.mapped)-1]
			return
		}
	}
}

// free gives back every block of the ledger. Afterwards it holds nothing
// (find finds nothing, add adds nothing), and a record it returned before
// must not be touched.
func (l *ledger) free() {
	for _, m := range l.mapped {
		ledgerFree(m)
	}
	*l = ledger{hash: l.hash}
}
