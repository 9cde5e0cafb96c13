package customers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSettledRowsHolds(t *testing.T) {
	s := settledRows{Line: 10, Items: 8, PastLines: [][2]int{{20, 25}, {30, 31}}}
	for line, want := range map[int]bool{1: true, 9: true, 10: false, 19: false, 20: true, 24: true, 25: false, 29: false, 30: true, 31: false} {
		assert.Equal(t, want, s.holds(line), "line %d", line)
	}
	s.Past = []commet.ImportRange{{From: 12, To: 15}, {From: 20, To: 21}}
	for index, want := range map[int]bool{0: true, 7: true, 8: false, 12: true, 14: true, 15: false, 20: true, 21: false} {
		assert.Equal(t, want, s.holdsItem(index), "index %d", index)
	}
}

// savedState runs a saver over rows at lines 2, 3, ... (archive says which
// are to be archived after their create) and returns the state it wrote.
func savedState(t *testing.T, inOrder bool, archive map[int]bool, cp commet.ImportCheckpoint, finish func(*stateSaver)) settledRows {
	t.Helper()
	name := filepath.Join(t.TempDir(), "import.state")
	lines := &lineIndex{}
	for i := range 30 {
		lines.add(2+i, archive[i])
	}
	s := newStateSaver(name, &importState{Version: stateVersion, Input: "in.csv", Since: time.Unix(0, 0)}, lines, inOrder)
	s.progress(commet.ImportSummary{Settled: cp})
	finish(s)
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	var st importState
	require.NoError(t, json.Unmarshal(b, &st))
	require.NotNil(t, st.Settled)
	return *st.Settled
}

func TestStateSaverKeepsTheCheckpoint(t *testing.T) {
	cp := commet.ImportCheckpoint{Items: 10, Created: 9, Failed: 1, Past: []commet.ImportRange{{From: 12, To: 15, Created: 3}}}
	t.Run("with its ranges and their lines", func(t *testing.T) {
		got := savedState(t, false, nil, cp, func(s *stateSaver) {
			s.failedRow(3)
			s.failedRow(11) // not settled: left out
			require.NoError(t, s.finish(commet.ImportSummary{Settled: cp}, true, nil))
		})
		assert.Equal(t, settledRows{Line: 12, Items: 10, Created: 9, Failed: 1, Past: cp.Past, PastLines: [][2]int{{14, 17}}, FailedItems: []int{3}}, got)
	})
	t.Run("without ranges when the differences go in input order", func(t *testing.T) {
		got := savedState(t, true, nil, cp, func(s *stateSaver) {
			require.NoError(t, s.finish(commet.ImportSummary{Settled: cp}, true, nil))
		})
		assert.Nil(t, got.Past)
		assert.Equal(t, 10, got.Items)
	})
	t.Run("never past a row still to archive", func(t *testing.T) {
		got := savedState(t, false, map[int]bool{5: true}, cp, func(s *stateSaver) {
			require.NoError(t, s.finish(commet.ImportSummary{Settled: cp}, false, nil))
		})
		assert.Equal(t, settledRows{}, got, "the last checkpoint before row 5: none")
	})
	t.Run("past it once every row is archived", func(t *testing.T) {
		got := savedState(t, false, map[int]bool{5: true, 13: true, 20: true}, cp, func(s *stateSaver) {
			require.NoError(t, s.finish(commet.ImportSummary{Settled: cp}, true, []int{5, 13, 20}))
		})
		assert.Equal(t, 10, got.Items)
		assert.Equal(t, 2, got.ArchivedAfter, "rows 5 and 13, which the checkpoint holds")
	})
}
