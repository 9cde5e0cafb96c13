package commet

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// ledger is a compact table of exact IDs: each distinct ID is one entry in
// an arena, its record (the state of its ID), its bytes and the
// fingerprint of its customer, found through an open-addressing index
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
	arena [][]byte // chunks of arenaChunk bytes: the entries (see entrySize), end to end
	used  int      // bytes used in the last arena chunk
	n     uint32   // records
	index []uint32 // the position of a record in the arena, + 1; or 0 for an empty slot
	// mapped are the blocks that ledgerAlloc mapped, for free to unmap.
	mapped [][]byte
	// apart holds the fingerprints too large for the room their entry
	// kept (see hold): rare, since the room is that of the item sent.
	apart map[*ledgerRec]fingerprint
}

// ledgerRec is the head of an ID's entry, in 7 bytes: its state (the low
// 48 bits of an idState, little-endian) and the presence mask of the
// fingerprint that follows the ID (see hold). Its bytes are read one by
// one, so an entry needs no alignment and no padding. The ID's uvarint
// length and its bytes follow it, then 16 bits for each field the mask
// holds, so the record needs no position.
type ledgerRec [recSize]byte

func (r *ledgerRec) state() idState {
	var s idState
	for i := 5; i >= 0; i-- {
		s = s<<8 | idState(r[i])
	}
	return s
}

// setState keeps s's low 48 bits: items up to 2^46 (at a million items a
// second, two years of import).
func (r *ledgerRec) setState(s idState) {
	for i := range 6 {
		r[i] = byte(s >> (8 * i))
	}
}

// has is the presence mask kept in the record: before the first hold, the
// room of its entry (as many bits as 16-bit slots were kept); after, the
// fields of the fingerprint held.
func (r *ledgerRec) has() uint8 { return r[6] }

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
	// recSize is the size of a record, the head of an entry.
	recSize = 7
)

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

// add gives id, which has no record yet, a record in the given state,
// with room for the fingerprint of a customer of room fields (those of the
// item that carries it: see hold), or reports false when the ledger cannot
// hold it: an ID whose entry does not fit an arena chunk (Import refuses
// IDs of more than 255 characters before), or a ledger full (two billion
// IDs, or 4 GiB of entries). An ID left out is untracked: Import sends its
// repeats as it would any item.
func (l *ledger) add(id string, state idState, room int) (rec *ledgerRec, ok bool) {
	room = min(max(room, 0), len(compared))
	need := entrySize(id, room)
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
	r.setState(state)
	r[6] = uint8(1<<room - 1)
	l.place(slot, l.hash(id))
	return r, true
}

// entrySize is the bytes of id's entry in the arena: its record, its
// length, its bytes and room 16-bit slots of fingerprint.
func entrySize(id string, room int) int {
	return recSize + uvarintLen(uint64(len(id))) + len(id) + 2*room
}

// record is the record of an index slot.
func (l *ledger) record(slot uint32) *ledgerRec {
	pos := slot - 1
	chunk := l.arena[pos>>arenaShift]
	at := pos & (arenaChunk - 1)
	return (*ledgerRec)(chunk[at : at+recSize])
}

// idOf is the ID of r, as a view of the arena's bytes that follow it, not
// a copy: it is only compared or hashed, never kept.
func (l *ledger) idOf(r *ledgerRec) string {
	p, n := idBytes(r)
	if n == 0 {
		return ""
	}
	return unsafe.String((*byte)(p), n)
}

// idBytes is where the ID of r begins, and its length.
func idBytes(r *ledgerRec) (unsafe.Pointer, int) {
	p := unsafe.Add(unsafe.Pointer(r), recSize)
	var n uint64
	for shift := 0; ; shift += 7 { // the uvarint length, read byte by byte: it may end the entry
		c := *(*byte)(p)
		p = unsafe.Add(p, 1)
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	return p, int(n)
}

// slots are the 16-bit slots of r's fingerprint, after its ID: as many as
// its room (before the first hold) or its fingerprint's fields (after).
func slots(r *ledgerRec) []byte {
	p, n := idBytes(r)
	return unsafe.Slice((*byte)(unsafe.Add(p, n)), 2*bits.OnesCount8(r.has()))
}

// held is the fingerprint that hold kept for r; r must have had one.
func (l *ledger) held(r *ledgerRec) fingerprint {
	if len(l.apart) > 0 {
		if fp, ok := l.apart[r]; ok {
			return fp
		}
	}
	fp := fingerprint{has: r.has()}
	s := slots(r)
	for i := range fp.h {
		if fp.has&(1<<i) != 0 {
			fp.h[i] = uint16(s[0]) | uint16(s[1])<<8
			s = s[2:]
		}
	}
	return fp
}

// hold keeps fp as r's fingerprint: in r's entry, 16 bits for each field
// fp has, when its room (as add kept it, or as the fingerprint held
// before) has as many slots; else apart, on the heap. The room is that of
// the item carrying the ID, whose customer has the same fields when this
// run created it, so apart keeps only customers that existed with more
// fields than the item sent.
func (l *ledger) hold(r *ledgerRec, fp fingerprint) {
	if bits.OnesCount8(fp.has) > bits.OnesCount8(r.has()) {
		if l.apart == nil {
			l.apart = make(map[*ledgerRec]fingerprint)
		}
		l.apart[r] = fp
		return
	}
	delete(l.apart, r)
	r[6] = fp.has
	s := slots(r)
	for i, h := range fp.h {
		if fp.has&(1<<i) != 0 {
			s[0], s[1] = byte(h), byte(h>>8)
			s = s[2:]
		}
	}
}

// store writes the entry of id, of need bytes, zeroed but for the ID's
// length and bytes, into the arena: into the last chunk when it fits, else
// a new one; it returns the entry's index slot (its position + 1, which
// never wraps: an entry takes 8 bytes at least, so none begins in the
// last byte of the last chunk).
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
	return pos + 1
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
