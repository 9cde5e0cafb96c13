package customers

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
)

// stateVersion is the version of the state file this command writes: 2
// added the input's size and hash and the settled rows. A state of
// version 1 still gives the migration's start.
const stateVersion = 2

// importState is what a resumed import needs: when the migration began,
// on Commet's clock, so that the rows an earlier run created count as
// created again (ImportCustomersParams.Since); which input it is for, and
// its content (size and SHA-256 of its bytes and of the reading options),
// so that a changed file is never resumed; and how far it is settled.
type importState struct {
	Version int       `json:"version"`
	Input   string    `json:"input"`
	Since   time.Time `json:"since"`
	Size    int64     `json:"size,omitempty"`
	SHA256  string    `json:"sha256,omitempty"`
	// Settled is how far the input was settled when the state was last
	// written: nil before the first batch.
	Settled *settledRows `json:"settled,omitempty"`
}

// settledRows is the settled prefix of an import (commet.ImportCheckpoint)
// in the command's terms: the rows before Line have their final outcome,
// and their lines in the failures, differences and notes files are
// written; a resumed run reads them but sends none of them, and counts
// them as these counts say.
type settledRows struct {
	// Line is the first line past the settled rows (0: none settled).
	Line int `json:"line"`
	// Items, Created, Existed, Archived, Repeated and Failed are the
	// checkpoint of the import: Items is the number of rows given to the
	// import (rows read without an error) before Line.
	Items    int `json:"items"`
	Created  int `json:"created"`
	Existed  int `json:"existed"`
	Archived int `json:"archived"`
	Repeated int `json:"repeated"`
	Failed   int `json:"failed"`
	// Past are the ranges of rows settled past Line (commet.ImportRange:
	// indexes among the rows given to the import), while a batch before
	// them was still on its way, and PastLines their lines, from the
	// first to one past the last.
	Past      []commet.ImportRange `json:"past,omitempty"`
	PastLines [][2]int             `json:"pastLines,omitempty"`
	// FailedItems are the indexes, among the settled rows, of those that
	// failed, so that a later row with the same ID is sent in place.
	FailedItems []int `json:"failedItems,omitempty"`
	// ArchivedAfter counts the settled rows archived after their create.
	ArchivedAfter int `json:"archivedAfter,omitempty"`
}

func (s *settledRows) checkpoint() commet.ImportCheckpoint {
	return commet.ImportCheckpoint{Items: s.Items, Created: s.Created, Existed: s.Existed, Archived: s.Archived, Repeated: s.Repeated, Failed: s.Failed, Past: s.Past}
}

// holds reports whether the row of line is settled: its lines in the logs
// are kept, and not written again.
func (s *settledRows) holds(line int) bool {
	if line < s.Line {
		return true
	}
	i, _ := slices.BinarySearchFunc(s.PastLines, line, func(r [2]int, line int) int { return cmp.Compare(r[1], line+1) })
	return i < len(s.PastLines) && s.PastLines[i][0] <= line && line < s.PastLines[i][1]
}

// sameCheckpoint reports whether a and b hold the same rows and counts.
func sameCheckpoint(a, b commet.ImportCheckpoint) bool {
	return a.Items == b.Items && a.Created == b.Created && a.Existed == b.Existed && a.Archived == b.Archived &&
		a.Repeated == b.Repeated && a.Failed == b.Failed && slices.Equal(a.Past, b.Past)
}

// contentHash is the SHA-256 of the input's bytes (h, which read them all)
// and of the options that read them into rows: another --map, say, makes
// other rows of the same bytes.
func contentHash(o *ImportOptions, h []byte) string {
	opts, _ := json.Marshal(o.Rows)
	sum := sha256.Sum256(append(append(h, 0), opts...))
	return hex.EncodeToString(sum[:])
}

// loadState returns the migration's start kept in the state file, and the
// rows settled by earlier runs when the input is the one they read; on the
// first run, it asks Commet for its time and keeps it there. An input
// whose content changed since is started over, saying so: its rows are
// sent again (the report stays exact, by the start), and the failures,
// differences and notes files begin anew. Without settled (sync, which
// keeps only the start), it ignores the settled rows.
func loadState(o *ImportOptions, client *commet.Client, in *input, settled bool) (*importState, error) {
	name := in.name
	if abs, err := filepath.Abs(o.File); err == nil && o.File != "-" {
		name = abs
	}
	b, err := os.ReadFile(o.State)
	switch {
	case err == nil:
		var st importState
		if err := json.Unmarshal(b, &st); err != nil || st.Since.IsZero() {
			return nil, cmdutil.ConfigError(fmt.Errorf("--state-file %s is not an import's state file", o.State))
		}
		if st.Input != name {
			return nil, cmdutil.ConfigError(fmt.Errorf("--state-file %s is the state of importing %s: remove it, or give another file, to import %s", o.State, st.Input, name))
		}
		fmt.Fprintf(o.Factory.IO.ErrOut, "resuming the migration begun at %s (from %s)\n", st.Since.Format(time.RFC3339), o.State)
		if !settled {
			st.Settled = nil
		}
		same := st.Size == in.size && st.SHA256 == in.hash
		switch {
		case st.Settled != nil && same && st.Settled.any() && (st.Settled.Items == 0 || st.Settled.Line > 0):
			fmt.Fprintf(o.Factory.IO.ErrOut, "%d rows settled by earlier runs are read, not sent again\n", st.Settled.count())
		case st.Settled != nil && st.Settled.any():
			fmt.Fprintf(o.Factory.IO.ErrOut, "%s changed since %s was written (its size, its SHA-256 or the reading flags differ): starting over from its first row; the report still counts what earlier runs created\n", in.name, o.State)
			st.Settled = nil
		default:
			st.Settled = nil
		}
		st.Version, st.Size, st.SHA256 = stateVersion, in.size, in.hash
		return &st, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, cmdutil.ConfigError(err)
	}
	since, err := commetNow(o, client)
	if err != nil {
		return nil, err
	}
	st := &importState{Version: stateVersion, Input: name, Since: since, Size: in.size, SHA256: in.hash}
	if err := st.write(o.State); err != nil {
		return nil, cmdutil.ConfigError(err)
	}
	return st, nil
}

// migrationStart is the migration's start kept in the state file, or, on
// the first run, Commet's time, kept there.
func migrationStart(o *ImportOptions, client *commet.Client, in *input) (time.Time, error) {
	st, err := loadState(o, client, in, false)
	if err != nil {
		return time.Time{}, err
	}
	return st.Since, nil
}

func (st *importState) write(name string) error {
	b, _ := json.MarshalIndent(st, "", "  ")
	return cmdutil.WriteFileAtomic(name, append(b, '\n'))
}

// commetNow is the time on Commet's clock, read off the Date of a small
// answer: whole seconds, rounded down, so never after the import's first
// batch reaches Commet.
func commetNow(o *ImportOptions, client *commet.Client) (time.Time, error) {
	var resp commet.Response
	if _, err := client.Customers.List(o.Ctx, &commet.ListCustomersParams{Limit: 1}, commet.WithResponseInto(&resp)); err != nil {
		return time.Time{}, fmt.Errorf("asking Commet for its time: %w", err)
	}
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return t.UTC(), nil
	}
	return time.Now().UTC().Add(-time.Second), nil
}

// stateSaver keeps the state file up to date as the import goes: after
// each batch, the checkpoint the import reports, once the failures,
// differences and notes of its rows are on disk, so that a kill -9 at any
// moment leaves a state whose rows are all in those files. It writes on a
// goroutine of its own, the latest checkpoint each time, so the import
// never waits for the disk.
type stateSaver struct {
	name  string
	st    importState // as loaded: Settled is the earlier runs'
	prev  settledRows
	lines *lineIndex
	logs  []syncer
	// inOrder says the checkpoint keeps no ranges past its prefix: the
	// differences file is written in input order, so the rows of such a
	// range may not be in it yet.
	inOrder bool

	mu       sync.Mutex // guards what follows
	latest   commet.ImportCheckpoint
	failed   []int // indexes of rows that failed for their data, in this run
	archived bool  // the rows to archive are archived: the checkpoint may pass them
	// archivedRows are the indexes of the rows archived after their
	// create in this run, once all are.
	archivedRows []int
	kept         commet.ImportCheckpoint
	err          error

	wake chan struct{}
	done chan struct{}
	wg   sync.WaitGroup
}

// syncer is a log whose rows can be put on disk.
type syncer interface{ sync() error }

func newStateSaver(name string, st *importState, lines *lineIndex, inOrder bool, logs ...syncer) *stateSaver {
	s := &stateSaver{name: name, st: *st, lines: lines, inOrder: inOrder, logs: logs, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if st.Settled != nil {
		s.prev = *st.Settled
		s.kept = s.prev.checkpoint()
	}
	s.wg.Go(s.run)
	return s
}

// failedRow records that the row of index failed for its data.
func (s *stateSaver) failedRow(index int) {
	s.mu.Lock()
	s.failed = append(s.failed, index)
	s.mu.Unlock()
}

// progress takes the import's checkpoint, after each batch.
func (s *stateSaver) progress(sum commet.ImportSummary) {
	s.mu.Lock()
	s.latest = sum.Settled
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *stateSaver) run() {
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
			s.save(false)
		}
	}
}

// finish stops the saving and writes the final state: the import's last
// checkpoint, past the rows to archive if archived says they all are.
// archivedRows are the indexes of the rows archived after their create in
// this run: those within the checkpoint add to its count.
func (s *stateSaver) finish(sum commet.ImportSummary, archived bool, archivedRows []int) error {
	close(s.done)
	s.wg.Wait()
	s.mu.Lock()
	s.latest, s.archived = sum.Settled, archived
	if archived {
		s.archivedRows = archivedRows
	}
	s.mu.Unlock()
	s.save(true)
	return s.err
}

// save writes the state for the latest checkpoint, unless it would pass a
// row still to be archived (archived after the import): it keeps the last
// checkpoint before that row then. final writes it even when unchanged.
func (s *stateSaver) save(final bool) {
	s.mu.Lock()
	cp := s.latest
	if first := s.lines.firstArchive(); !s.archived && first >= 0 {
		if cp.Items > first {
			cp = s.kept
		}
		cp.Past = slices.DeleteFunc(slices.Clone(cp.Past), func(r commet.ImportRange) bool { return r.To > first })
	}
	if s.inOrder {
		cp.Past = nil
	}
	if len(cp.Past) == 0 {
		cp.Past = nil
	}
	if sameCheckpoint(cp, s.kept) && !final {
		s.mu.Unlock()
		return // nothing new
	}
	held := &settledRows{Items: cp.Items, Past: cp.Past}
	var failed []int
	for _, i := range append(slices.Clone(s.prev.FailedItems), s.failed...) {
		if held.holdsItem(i) {
			failed = append(failed, i)
		}
	}
	archivedAfter := s.prev.ArchivedAfter
	for _, i := range s.archivedRows {
		if held.holdsItem(i) {
			archivedAfter++
		}
	}
	s.mu.Unlock()
	slices.Sort(failed)
	var pastLines [][2]int
	for _, r := range cp.Past {
		pastLines = append(pastLines, [2]int{s.lines.of(r.From), s.lines.boundary(r.To)})
	}
	for _, l := range s.logs {
		if err := l.sync(); err != nil {
			s.fail(err)
			return
		}
	}
	st := s.st
	st.Settled = &settledRows{Line: s.lines.boundary(cp.Items), Items: cp.Items,
		Created: cp.Created, Existed: cp.Existed, Archived: cp.Archived, Repeated: cp.Repeated, Failed: cp.Failed,
		Past: cp.Past, PastLines: pastLines, FailedItems: slices.Compact(failed), ArchivedAfter: archivedAfter}
	if err := st.write(s.name); err != nil {
		s.fail(err)
		return
	}
	s.mu.Lock()
	s.kept = cp
	s.mu.Unlock()
}

func (s *stateSaver) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = fmt.Errorf("writing the state file: %w", err)
	}
	s.mu.Unlock()
}

// holdsItem reports whether the row of index (among the rows given to the
// import) is settled.
func (s *settledRows) holdsItem(index int) bool {
	i, _ := slices.BinarySearchFunc(s.Past, index, func(r commet.ImportRange, index int) int { return cmp.Compare(r.To, index+1) })
	return index < s.Items || i < len(s.Past) && s.Past[i].From <= index && index < s.Past[i].To
}

// any reports whether some row is settled.
func (s *settledRows) any() bool { return s.Items > 0 || len(s.Past) > 0 }

// count is the number of rows given to the import that are settled.
func (s *settledRows) count() int {
	n := s.Items
	for _, r := range s.Past {
		n += r.To - r.From
	}
	return n
}
