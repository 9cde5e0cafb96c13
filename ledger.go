package commet

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// ledger is a compact table of exact IDs: each distinct ID is one entry in
// an arena, its record (the state of its ID and the fingerprint of its
// customer) followed by its bytes, found through an open-addressing index
// whose probes compare the stored bytes exactly, so two different IDs are
// never taken for one, whatever their hashes. The arena grows in
// fixed-size chunks, so growth never copies it (a record never moves);
// only the index, 4 bytes a slot, grows, by half (see grow).
//
// The chunks and the index hold no pointer, and on unix they are mapped
// from the operating system (see ledgerAlloc) rather than taken from the Go
// heap: the garbage collector neither scans them nor counts them when it
// lets the heap grow to twice what is live, so they cost what they hold,
// and not twice that. free gives them back; nothing may touch the ledger
// or a record of it afterwards.
type ledger struct {
	hash  func(string) uint64
	arena [][]byte // chunks of arenaChunk bytes: the entries, each a record, the ID's uvarint length and its bytes, padded to an even size
	used  int      // bytes used in the last arena chunk
	n     uint32   // records
	index []uint32 // the position of a record in the arena, halved, + 1; or 0 for an empty slot
	// mapped are the blocks that ledgerAlloc mapped, for free to unmap.
	mapped [][]byte
}

// ledgerRec is what Import remembers of one ID, in 22 bytes: the
// fingerprint of its customer and its state (the low 48 bits of an
// idState), in 16-bit parts so that the record needs no padding. The ID's
// bytes follow it in the arena, so it needs no position.
type ledgerRec struct {
	held fingerprint
	st   [3]uint16
}

func (r *ledgerRec) state() idState {
	return idState(r.st[0]) | idState(r.st[1])<<16 | idState(r.st[2])<<32
}

// setState keeps s's low 48 bits: items up to 2^46 (at a million items a
// second, two years of import).
func (r *ledgerRec) setState(s idState) {
	r.st = [3]uint16{uint16(s), uint16(s >> 16), uint16(s >> 32)}
}

const (
	// arenaShift sizes an arena chunk; a position is the chunk's number
	// times its size plus the offset in it, in 32 bits.
	arenaShift = 18
	arenaChunk = 1 << arenaShift
	maxChunks  = 1 << (32 - arenaShift)
	// maxLedger caps the records. An ID past it goes untracked (see add).
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
		r := l.record(slot)
		if l.idOf(r) == id {
			return r, true
		}
	}
}

// add gives id, which has no record yet, a record in the given state, or
// reports false when the ledger cannot hold it: an ID whose entry does not
// fit an arena chunk (Import refuses IDs of more than 255 characters
// before), or a ledger full (two billion IDs, or 4 GiB of entries). An ID
// left out is untracked: Import sends its repeats as it would any item.
func (l *ledger) add(id string, state idState) (rec *ledgerRec, ok bool) {
	need := entrySize(id)
	switch {
	case len(l.index) == 0, l.n >= maxLedger, need > arenaChunk:
		return nil, false
	case need > arenaChunk-l.used && len(l.arena) == maxChunks:
		return nil, false
	}
	if uint64(l.n+1)*4 > uint64(len(l.index))*3 { // keep the load at most 3/4
		l.grow()
	}
	slot := l.store(id, need)
	l.n++
	r := l.record(slot)
	r.setState(state) // its fingerprint is zero: the chunk was
	l.place(slot, l.hash(id))
	return r, true
}

// entrySize is the bytes of id's entry in the arena: its record, its
// length and its bytes, padded to an even size so that every record is
// aligned as its 16-bit parts need.
func entrySize(id string) int {
	need := recSize + uvarintLen(uint64(len(id))) + len(id)
	return need + need&1
}

// record is the record of an index slot.
func (l *ledger) record(slot uint32) *ledgerRec {
	pos := (slot - 1) * 2
	return (*ledgerRec)(unsafe.Pointer(&l.arena[pos>>arenaShift][pos&(arenaChunk-1)]))
}

// idOf is the ID of r, as a view of the arena's bytes that follow it, not
// a copy: it is only compared or hashed, never kept.
func (l *ledger) idOf(r *ledgerRec) string {
	p := unsafe.Add(unsafe.Pointer(r), recSize)
	var n uint64
	for shift := 0; ; shift += 7 { // the uvarint length, read byte by byte: it ends the entry when the ID is empty
		c := *(*byte)(p)
		p = unsafe.Add(p, 1)
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	if n == 0 {
		return ""
	}
	return unsafe.String((*byte)(p), int(n))
}

// store writes the entry of id, of need bytes, zeroed but for the ID's
// length and bytes, into the arena: into the last chunk when it fits, else
// a new one; it returns the entry's index slot (its position, halved, + 1).
func (l *ledger) store(id string, need int) uint32 {
	if len(l.arena) == 0 || need > arenaChunk-l.used {
		l.arena = append(l.arena, l.alloc(arenaChunk))
		l.used = 0
	}
	last := len(l.arena) - 1
	chunk := l.arena[last]
	pos := uint32(last)<<arenaShift | uint32(l.used)
	w := binary.PutUvarint(chunk[l.used+recSize:], uint64(len(id)))
	copy(chunk[l.used+recSize+w:], id)
	l.used += need
	return pos/2 + 1
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

func (l *ledger) place(slot uint32, h uint64) {
	i := l.home(h)
	for l.index[i] != 0 {
		i = l.next(i)
	}
	l.index[i] = slot
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
	for _, slot := range old {
		if slot != 0 {
			l.place(slot, l.hash(l.idOf(l.record(slot))))
		}
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
