package commet

import (
	"fmt"
	"hash/maphash"
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
	for i, id := range ids {
		_, seen := l.find(id)
		require.False(t, seen, "a new ID %q taken for one already held", id)
		_, ok := l.add(id, newIDState(i, idInFlight))
		require.True(t, ok)
	}
	for i, id := range ids {
		r, seen := l.find(id)
		require.True(t, seen, "ID %q lost", id)
		require.Equal(t, i, r.state.index(), "ID %q found as another", id)
		_, seen = l.find(id + "x")
		require.False(t, seen)
	}
}

func TestLedgerManyIDsAcrossChunksAndGrowth(t *testing.T) {
	ids := make([]string, 20_000) // 5 record chunks, several arena chunks, index doubled 5 times
	for i := range ids {
		ids[i] = fmt.Sprintf("user_%07d", i)
	}
	checkLedger(t, seededHash(), ids)
}

func TestLedgerCollidingHashesAreTellApart(t *testing.T) {
	ids := make([]string, 3000)
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

func TestLedgerIDsLongerThanAChunk(t *testing.T) {
	long := strings.Repeat("x", arenaChunk+10)
	ids := []string{"a", long, long + "y", "b", strings.Repeat("z", arenaChunk-3), "c"}
	checkLedger(t, seededHash(), ids)
	l := newLedger(seededHash())
	for i, id := range ids {
		l.add(id, newIDState(i, idSettled))
	}
	r, _ := l.find(long)
	assert.Len(t, l.idOf(r), len(long))
}

func TestLedgerRecordsStayPut(t *testing.T) {
	l := newLedger(seededHash())
	first, _ := l.add("first", newIDState(0, idInFlight))
	for i := range 3 * recsPerChunk {
		l.add(fmt.Sprint(i), newIDState(i+1, idInFlight))
	}
	first.state = newIDState(0, idSettled)
	first.held[3] = 99
	r, seen := l.find("first")
	require.True(t, seen)
	assert.Same(t, first, r, "a record moved as the ledger grew: waiting keys on it")
	assert.Equal(t, idSettled, r.state.state())
	assert.Equal(t, uint16(99), r.held[3])
}

// The old ledger, for the benchmark: a map keyed by a 64-bit hash of the ID
// (two IDs of one hash were taken for one) with a 40-byte entry.
type oldIDEntry struct {
	state idState
	held  [len(compared)]uint32
}

// BenchmarkLedgerMemory measures the heap each ledger holds per distinct ID,
// after a collection: run with -benchtime=1x.
func BenchmarkLedgerMemory(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("user_%07d", i)
		}
		hash := seededHash()
		measure := func(b *testing.B, fill func() any) {
			for b.Loop() {
				before := heapInUse()
				kept := fill()
				after := heapInUse()
				runtime.KeepAlive(kept)
				b.ReportMetric(float64(after-before)/float64(n), "bytes/ID")
			}
		}
		b.Run(fmt.Sprintf("map/%d", n), func(b *testing.B) {
			measure(b, func() any {
				m := make(map[uint64]oldIDEntry)
				for i, id := range ids {
					m[hash(id)] = oldIDEntry{state: newIDState(i, idSettled), held: [len(compared)]uint32{uint32(i)}}
				}
				return m
			})
		})
		b.Run(fmt.Sprintf("ledger/%d", n), func(b *testing.B) {
			measure(b, func() any {
				l := newLedger(hash)
				for i, id := range ids {
					l.add(id, newIDState(i, idSettled))
				}
				return l
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
