package commet

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seededHash() func(string) uint64 {
	seed := maphash.MakeSeed()
	return func(s string) uint64 { return maphash.String(seed, s) }
}

// checkLedger adds ids (all distinct) to a ledger with the given hash,
// then finds each one, with its own state, and no near miss.
func checkLedger(t *testing.T, hash func(string) uint64, ids []string) {
	t.Helper()
	l := newLedger(hash)
	defer l.free()
	// Plain checks, and testify only to show a failure: testify's cost on
	// the checks that pass was most of these tests' under the race detector.
	for i, id := range ids {
		if _, seen := l.find(id); seen {
			t.Fatalf("a new ID %q taken for one already held", id)
		}
		if _, ok := l.add(id, newIDState(i, idInFlight), 0); !ok {
			t.Fatalf("ID %q not added", id)
		}
	}
	for i, id := range ids {
		r, seen := l.find(id)
		if !seen {
			t.Fatalf("ID %q lost", id)
		}
		if r.state().index() != i {
			require.Equal(t, i, r.state().index(), "ID %q found as another", id)
		}
		if _, seen = l.find(id + "x"); seen {
			t.Fatalf("%q found, never added", id+"x")
		}
	}
}

func TestLedgerManyIDsAcrossChunksAndGrowth(t *testing.T) {
	ids := make([]string, 20_000) // 5 record chunks, several arena chunks, index doubled 5 times
	for i := range ids {
		ids[i] = fmt.Sprintf("user_%07d", i)
	}
	checkLedger(t, seededHash(), ids)
}

func TestLedgerIndexGrowsByHalf(t *testing.T) {
	l := newLedger(seededHash())
	defer l.free()
	slots, grown := len(l.index), 0
	for i := range 50_000 {
		l.add(fmt.Sprintf("user_%07d", i), newIDState(i, idSettled), 0)
		if len(l.index) != slots {
			assert.Equal(t, growIndex(slots), len(l.index), "at %d IDs", i+1)
			assert.LessOrEqual(t, float64(len(l.index)), 1.5*float64(slots), "grown by half, not doubled")
			slots, grown = len(l.index), grown+1
		}
		load := float64(l.n) / float64(len(l.index))
		if load > 0.75 {
			t.Fatalf("at %d IDs: load %.3f, over 3/4", i+1, load)
		}
		if grown > 0 && load < 0.49 {
			t.Fatalf("at %d IDs: load %.3f; the index is never much emptier than half", i+1, load)
		}
	}
	assert.Equal(t, 11, grown) // 1024 slots to 59,049: 3/4 of 39,366 is under 50,000
	checkLedger(t, seededHash(), []string{"a", "b"})
}

func TestLedgerCollidingHashesAreTellApart(t *testing.T) {
	// ledgers of its own (TestLedgerBulkIsOffTheHeap, which counts what all
	// ledgers map, is not parallel: it runs before the parallel tests)
	t.Parallel()
	ids := make([]string, 1000) // a ledger that grew once
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	checkLedger(t, func(string) uint64 { return 42 }, ids)
	checkLedger(t, func(s string) uint64 { return uint64(len(s)) }, ids)
}

func TestLedgerIDsDifferingInOneByteAreNotOne(t *testing.T) {
	base := strings.Repeat("a", 100)
	var ids []string
	for i := range len(base) {
		b := []byte(base)
		b[i] = 'b'
		ids = append(ids, string(b))
	}
	ids = append(ids, base, base[:99], "", "\x00", "\x00\x00")
	checkLedger(t, func(string) uint64 { return 7 }, ids)
}

func TestLedgerIDsLongerThanAChunkGoUntracked(t *testing.T) {
	fits := strings.Repeat("z", arenaChunk-recSize-3) // with its record and 3-byte length, a chunk exactly
	long := strings.Repeat("x", arenaChunk+10)
	checkLedger(t, seededHash(), []string{"a", fits, "b", "w", "c"})
	l := newLedger(seededHash())
	defer l.free()
	_, ok := l.add(long, newIDState(0, idSettled), 0)
	assert.False(t, ok, "an ID longer than a chunk is left untracked, not cut")
	_, seen := l.find(long)
	assert.False(t, seen)
	for i, id := range []string{"a", fits, "b"} {
		_, ok := l.add(id, newIDState(i+1, idSettled), 0)
		require.True(t, ok)
	}
	r, seen := l.find(fits)
	require.True(t, seen)
	assert.Equal(t, fits, l.idOf(r))
	assert.Equal(t, 2, r.state().index())
}

func TestLedgerFullLeavesIDsUntracked(t *testing.T) {
	l := newLedger(seededHash())
	defer l.free()
	l.arena = make([][]byte, maxChunks-1) // as if 4 GiB less a chunk were held
	for i := range l.arena {
		l.arena[i] = []byte{0}
	}
	l.used = arenaChunk
	_, ok := l.add("a", newIDState(0, idSettled), 0)
	require.True(t, ok, "the last chunk is still there to take")
	l.used = arenaChunk
	_, ok = l.add("b", newIDState(1, idSettled), 0)
	assert.False(t, ok, "no chunk past the positions 32 bits reach")
	r, seen := l.find("a")
	require.True(t, seen)
	assert.Equal(t, "a", l.idOf(r))
}

func TestLedgerRecordKeepsStateOf48Bits(t *testing.T) {
	assert.Equal(t, 7, recSize, "a record is 7 bytes: 48 bits of state and a presence mask")
	var r ledgerRec
	for _, index := range []int{0, 1, 1<<16 - 1, 1 << 16, 1<<30 + 7, 1<<46 - 1} {
		for _, st := range []int{idInFlight, idSettled, idFailed} {
			r.setState(newIDState(index, st))
			assert.Equal(t, index, r.state().index())
			assert.Equal(t, st, r.state().state())
		}
	}
}

func TestLedgerFreedHoldsNothing(t *testing.T) {
	l := newLedger(seededHash())
	for i := range 20_000 {
		l.add(fmt.Sprint(i), newIDState(i, idSettled), 0)
	}
	l.free()
	l.free()
	_, seen := l.find("1")
	assert.False(t, seen)
	_, ok := l.add("1", newIDState(0, idSettled), 0)
	assert.False(t, ok)
}

func TestLedgerRecordsStayPut(t *testing.T) {
	l := newLedger(seededHash())
	defer l.free()
	first, _ := l.add("first", newIDState(0, idInFlight), 2)
	for i := range 50_000 { // several arena chunks, the index grown 11 times
		l.add(fmt.Sprint(i), newIDState(i+1, idInFlight), 0)
	}
	first.setState(newIDState(0, idSettled))
	l.hold(first, fingerprint{has: 1<<0 | 1<<3, h: [len(compared)]uint16{0: 7, 3: 99}})
	r, seen := l.find("first")
	require.True(t, seen)
	assert.Same(t, first, r, "a record moved as the ledger grew: waiting keys on it")
	assert.Equal(t, idSettled, r.state().state())
	assert.Equal(t, fingerprint{has: 1<<0 | 1<<3, h: [len(compared)]uint16{0: 7, 3: 99}}, l.held(r))
	assert.Empty(t, l.apart, "two fields fit the room of two")
}

func TestLedgerBulkIsOffTheHeap(t *testing.T) {
	if b, ok := ledgerAlloc(4096); !ok {
		t.Skip("this system maps nothing: the ledger takes the heap")
	} else {
		ledgerFree(b)
	}
	const n = 20_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("user_%07d", i)
	}
	heapBefore, mappedBefore := heapInUse(), ledgerMapped.Load()
	l := newLedger(seededHash())
	for i, id := range ids {
		l.add(id, newIDState(i, idSettled), 0)
	}
	heap, mapped := int64(heapInUse())-int64(heapBefore), ledgerMapped.Load()-mappedBefore
	runtime.KeepAlive(l)
	assert.Less(t, heap, int64(n), "under a byte an ID on the heap: only the lists of chunks")
	assert.GreaterOrEqual(t, mapped, int64(n*(recSize+len(ids[0])+1+4)), "records, IDs and index mapped")
	l.free()
	assert.Equal(t, mappedBefore, ledgerMapped.Load(), "free unmaps every block")
}

// The old ledger, for the benchmark: a map keyed by a 64-bit hash of the ID
// (two IDs of one hash were taken for one) with a 40-byte entry.
type oldIDEntry struct {
	state idState
	held  [len(compared)]uint32
}

// BenchmarkLedgerMemory measures what each ledger holds per distinct ID,
// after a collection: on the Go heap (which the garbage collector lets grow
// to twice what is live before it collects) and mapped outside it (which
// costs what it holds). Run with -benchtime=1x.
func BenchmarkLedgerMemory(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("user_%07d", i)
		}
		hash := seededHash()
		measure := func(b *testing.B, fill func() (kept any, free func())) {
			for b.Loop() {
				heapBefore, mappedBefore := heapInUse(), ledgerMapped.Load()
				kept, free := fill()
				heap, mapped := heapInUse()-heapBefore, ledgerMapped.Load()-mappedBefore
				runtime.KeepAlive(kept)
				free()
				b.ReportMetric(float64(heap)/float64(n), "heap-bytes/ID")
				b.ReportMetric(float64(mapped)/float64(n), "mapped-bytes/ID")
			}
		}
		b.Run(fmt.Sprintf("map/%d", n), func(b *testing.B) {
			measure(b, func() (any, func()) {
				m := make(map[uint64]oldIDEntry)
				for i, id := range ids {
					m[hash(id)] = oldIDEntry{state: newIDState(i, idSettled), held: [len(compared)]uint32{uint32(i)}}
				}
				return m, func() {}
			})
		})
		b.Run(fmt.Sprintf("ledger/%d", n), func(b *testing.B) {
			measure(b, func() (any, func()) {
				l := newLedger(hash)
				for i, id := range ids { // customers of an email and a name, as examples/migrate's
					r, _ := l.add(id, newIDState(i, idSettled), 2)
					l.hold(r, fingerprint{has: 0b11, h: [len(compared)]uint16{uint16(i), uint16(i >> 16)}})
				}
				return l, l.free
			})
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestLedgerRecordsOfVariedPresence: each entry keeps 16 bits for each
// field its customer has, and no more; entries of every room lie end to
// end, and holding one fingerprint never touches its neighbours. A
// fingerprint with more fields than its entry's room is kept apart, and a
// later one that fits goes back in the entry.
func TestLedgerRecordsOfVariedPresence(t *testing.T) {
	l := newLedger(seededHash())
	defer l.free()
	const n = 30_000 // several arena chunks, the index grown many times
	fpOf := func(i int) fingerprint {
		fp := fingerprint{has: uint8(i * 37)}
		for f := range fp.h {
			if fp.has&(1<<f) != 0 {
				fp.h[f] = uint16(i*7 + f)
			}
		}
		return fp
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("id%d", i)
	}
	recs := make([]*ledgerRec, n)
	want := make([]fingerprint, n)
	for i := range n {
		room := i % (len(compared) + 1)
		r, ok := l.add(ids[i], newIDState(i, idInFlight), room)
		if !ok {
			t.Fatalf("id%d not added", i)
		}
		recs[i] = r
	}
	apart := 0
	for i, r := range recs {
		want[i] = fpOf(i)
		l.hold(r, want[i])
		if bits.OnesCount8(want[i].has) > i%(len(compared)+1) {
			apart++
		}
		r.setState(newIDState(i, idSettled))
	}
	assert.Len(t, l.apart, apart, "only the fingerprints larger than their room are apart")
	assert.Positive(t, apart)
	for i := range n {
		r, seen := l.find(ids[i])
		if !seen {
			t.Fatalf("id%d lost", i)
		}
		if r != recs[i] {
			require.Same(t, recs[i], r)
		}
		if r.state().index() != i {
			require.Equal(t, i, r.state().index())
		}
		if r.state().state() != idSettled {
			require.Equal(t, idSettled, r.state().state())
		}
		if l.held(r) != want[i] {
			require.Equal(t, want[i], l.held(r), "id%d", i)
		}
	}
	// Held again (Import holds once, but the ledger allows it): a
	// fingerprint that fits replaces one kept apart. The room is then what
	// the entry held: a fingerprint of fewer fields shrank it.
	apart = 0
	for i, r := range recs {
		room := i % (len(compared) + 1)
		if fields := bits.OnesCount8(want[i].has); fields <= room {
			room = fields
		}
		small := fingerprint{has: 1, h: [len(compared)]uint16{0: uint16(i)}}
		if room == 0 {
			apart++
		}
		l.hold(r, small)
		want[i] = small
	}
	assert.Len(t, l.apart, apart)
	for i := range n {
		r, _ := l.find(ids[i])
		if l.held(r) != want[i] {
			require.Equal(t, want[i], l.held(r), "id%d", i)
		}
	}
}

// TestLedgerEntryKeepsOnlyThePresentFields: an ID of 12 bytes whose
// customer has two fields (an email and a name, as examples/migrate's
// users) takes 24 bytes of arena: a 7-byte record, its length, its bytes
// and two 16-bit hashes; no slot for the six fields it lacks, no padding.
func TestLedgerEntryKeepsOnlyThePresentFields(t *testing.T) {
	l := newLedger(seededHash())
	defer l.free()
	const n = 1000
	for i := range n {
		id := fmt.Sprintf("user_%07d", i)
		r, ok := l.add(id, newIDState(i, idInFlight), 2)
		require.True(t, ok)
		l.hold(r, fingerprint{has: 0b11, h: [len(compared)]uint16{1, 2}})
	}
	assert.Equal(t, 24*n, l.used)
	assert.Equal(t, 24, entrySize("user_0000000", 2))
	assert.Empty(t, l.apart)
}
