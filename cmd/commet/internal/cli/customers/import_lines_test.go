package customers

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLineIndexGivesEveryRowsLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var l lineIndex
	var want []int
	line := 1
	for i := range 5_000 {
		switch r := rng.IntN(100); {
		case i == 0:
			line = 2
		case r < 80:
			line++ // a row of one line
		case r < 95:
			line += 2 + rng.IntN(10) // a multi-line row, or unreadable rows skipped
		case r < 98:
			line += 256 + rng.IntN(100_000) // far past the one before
		case r < 99:
			line += 255
		default:
			line += 0 // not past the one before: kept exactly all the same
		}
		want = append(want, line)
		l.add(line, i%7 == 3)
	}
	for i, line := range want {
		require.Equal(t, line, l.of(i), "row %d", i)
		assert.Equal(t, i%7 == 3, l.archive(i))
	}
	assert.Zero(t, l.of(-1))
	assert.Zero(t, l.of(len(want)))
	assert.Zero(t, (&lineIndex{}).of(0))

	// What a resume keeps: the first line past the first n rows, and the
	// first row to archive.
	assert.Zero(t, l.boundary(0))
	for _, n := range []int{1, 2, 63, 64, 65, 1000, len(want) - 1} {
		assert.Equal(t, want[n], l.boundary(n), "past %d rows", n)
	}
	assert.Equal(t, want[len(want)-1]+1, l.boundary(len(want)))
	assert.Zero(t, l.boundary(len(want)+1))
	assert.Equal(t, 3, l.firstArchive())
	assert.Equal(t, -1, (&lineIndex{}).firstArchive())
}

func TestLineIndexTakesAboutAByteARow(t *testing.T) {
	const rows = 100_000
	allocated := testing.AllocsPerRun(1, func() {
		var l lineIndex
		for i := range rows {
			l.add(i+2, false)
		}
	})
	assert.Less(t, allocated, 40.0, "blocks of rows, not a value a row")
	var l lineIndex
	for i := range rows {
		l.add(i+2, false)
	}
	held := cap(l.blocks) * (8 + lineBlockRows)
	assert.Less(t, held, 3*rows, "the blocks hold at most 3 bytes a row, growth's slack included")
	assert.Nil(t, l.far)
}

// BenchmarkLineIndex compares the bytes a row the line index allocates,
// its slack of growth included, with the slice of 4-byte lines it
// replaced, for a million rows of one line.
func BenchmarkLineIndex(b *testing.B) {
	const rows = 1_000_000
	b.Run("int32-slice", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var lines []int32
			for i := range rows {
				lines = append(lines, int32(i+2))
			}
			if lines[rows-1] != rows+1 {
				b.Fatal("lost a line")
			}
		}
	})
	b.Run("lineIndex", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var l lineIndex
			for i := range rows {
				l.add(i+2, false)
			}
			if l.of(rows-1) != rows+1 {
				b.Fatal("lost a line")
			}
		}
	})
}
