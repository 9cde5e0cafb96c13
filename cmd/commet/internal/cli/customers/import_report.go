package customers

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/commet-go/commet/cmd/commet/internal/cli/rows"
)

// csvLog is a CSV file written from several goroutines (the reader's, for
// rows it cannot read, and the import's); a nil *csvLog writes nothing.
type csvLog struct {
	mu   sync.Mutex
	file *os.File
	w    *csv.Writer
	n    int
}

// newCSVLog creates the log name, anew; or, for a resumed import (keep
// not nil), keeps the rows it holds of the lines that keep says an earlier
// run settled, and appends to them.
func newCSVLog(name string, keep func(line int) bool, header ...string) (*csvLog, error) {
	if name == "" {
		return nil, nil
	}
	if keep != nil {
		if err := keepRows(name, keep, header); err != nil {
			return nil, err
		}
		fh, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err == nil {
			return &csvLog{file: fh, w: csv.NewWriter(fh)}, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	fh, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600) // it holds emails
	if err != nil {
		return nil, err
	}
	l := &csvLog{file: fh, w: csv.NewWriter(fh)}
	_ = l.w.Write(header) // errors surface at close
	return l, nil
}

// keepRows rewrites the log name (atomically) with its header and the
// rows of the lines keep says are settled, as they are: an earlier run
// wrote the rows of the other lines before they settled, and they are
// written again as they settle now. A missing file is left missing; a file
// that is not such a log is refused rather than cut.
func keepRows(name string, keep func(line int) bool, header []string) error {
	fh, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.FieldsPerRecord = len(header)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for n := 0; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || n == 0 && !slices.Equal(rec, header) {
			return fmt.Errorf("%s is not a file this command wrote (%v): move it away, or name another, to resume", name, err)
		}
		if l, err := strconv.Atoi(rec[0]); n == 0 || err != nil || keep(l) {
			_ = w.Write(rec)
		}
	}
	w.Flush()
	return cmdutil.WriteFileAtomic(name, b.Bytes())
}

// sync puts the rows written so far on disk.
func (l *csvLog) sync() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Flush()
	return errors.Join(l.w.Error(), l.file.Sync())
}

// write writes a row, each cell neutralised as export neutralises cells
// (rows.NeutralizeCell), so that a spreadsheet never runs one: a file's
// names and IDs are anyone's text. Import reads them back as written.
func (l *csvLog) write(row ...string) {
	if l == nil {
		return
	}
	for i := range row {
		row[i] = rows.NeutralizeCell(row[i])
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.w.Write(row)
	l.n++
}

func (l *csvLog) close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Flush()
	return errors.Join(l.w.Error(), l.file.Close())
}

// failureLog lists the rows that failed: line, id, email, outcome (failed,
// unknown or not_sent), the fields at fault by wire name, the reason, and
// the request ID to quote to Commet's support.
type failureLog struct{ *csvLog }

func newFailureLog(name string, keep func(line int) bool) (*failureLog, error) {
	l, err := newCSVLog(name, keep, "line", "id", "email", "outcome", "fields", "reason", "request_id")
	return &failureLog{l}, err
}

func (l *failureLog) write(line int, id, email, outcome, fields, reason, requestID string) {
	l.csvLog.write(lineText(line), id, email, outcome, fields, reason, requestID)
}

// differenceLog lists, for each row whose customer existed (or was
// repeated earlier in the input) with other data, each field that differs:
// its value in Commet and in the file, one line a field, the rows in input
// order (results come in any order: a row waits for those before it). For
// a repeat, the value in Commet is the customer the earlier row settled;
// those customers are kept, for the IDs that the check found repeated.
type differenceLog struct {
	log  *csvLog
	scan *rows.Scan

	mu      sync.Mutex
	next    int                      // the index of the next row to write
	pending map[int][][]string       // rows settled past next, by index; nil for no difference
	held    map[int]*commet.Customer // customers of repeated IDs, by index
}

func newDifferenceLog(name string, scan *rows.Scan, keep func(line int) bool, from int) (*differenceLog, error) {
	l, err := newCSVLog(name, keep, "line", "id", "outcome", "field", "in_commet", "in_file", "repeats_line")
	if l == nil || err != nil {
		return nil, err
	}
	return &differenceLog{log: l, scan: scan, next: from, pending: map[int][][]string{}, held: map[int]*commet.Customer{}}, nil
}

// sync puts the rows written so far on disk.
func (l *differenceLog) sync() error {
	if l == nil {
		return nil
	}
	return l.log.sync()
}

// add takes the result of every item, so that the rows go out in order.
func (l *differenceLog) add(r commet.ImportItemResult, line, repeats int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	held := r.Customer
	if r.Outcome == commet.OutcomeRepeated {
		held = l.held[r.RepeatOf]
	} else if held != nil && l.scan.Repeated(r.Item.ID) {
		l.held[r.Index] = held
	}
	var out [][]string
	for _, field := range r.Differs {
		inCommet, inFile := fieldValues(field, held, &r.Item)
		out = append(out, []string{lineText(line), r.Item.ID, r.Outcome.String(), field, inCommet, inFile, lineText(repeats)})
	}
	l.pending[r.Index] = out
	for {
		rows, ok := l.pending[l.next]
		if !ok {
			return
		}
		delete(l.pending, l.next)
		l.next++
		for _, row := range rows {
			l.log.write(row...)
		}
	}
}

func (l *differenceLog) close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	rest := slices.Sorted(maps.Keys(l.pending)) // after a stop at once, some rows never settle
	for _, i := range rest {
		for _, row := range l.pending[i] {
			l.log.write(row...)
		}
	}
	l.mu.Unlock()
	return l.log.close()
}

// fieldValues are a compared field's value in the customer c Commet holds
// (empty when unknown) and in the item p: text as it is, metadata as JSON
// with sorted keys.
func fieldValues(field string, c *commet.Customer, p *commet.CreateCustomerParams) (inCommet, inFile string) {
	if c == nil {
		c = &commet.Customer{}
	}
	switch field {
	case "billingEmail":
		return c.Email, p.Email
	case "fullName":
		return c.FullName, p.FullName
	case "domain":
		return c.Domain, p.Domain
	case "website":
		return c.Website, p.Website
	case "timezone":
		return c.Timezone, p.Timezone
	case "language":
		return c.Language, p.Language
	case "industry":
		return c.Industry, p.Industry
	case "metadata":
		return metadataJSON(c.Metadata), metadataJSON(p.Metadata)
	}
	return "", ""
}

func metadataJSON(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}

// noteLog tells a person about a row that was changed or followed up on
// the way (an address dropped, a customer archived after its create, an
// item too large): to a CSV file (line, id, note) when one is named, else
// on stderr, each with its line and ID, never an email or an address.
type noteLog struct {
	file   *csvLog
	stderr io.Writer
}

func newNoteLog(name string, stderr io.Writer, keep func(line int) bool) (*noteLog, error) {
	l, err := newCSVLog(name, keep, "line", "id", "note")
	return &noteLog{file: l, stderr: stderr}, err
}

// sync puts the rows written so far on disk.
func (l *noteLog) sync() error { return l.file.sync() }

func (l *noteLog) write(line int, id, note string) {
	if l.file != nil {
		l.file.write(lineText(line), id, note)
		return
	}
	fmt.Fprintf(l.stderr, "line %d (id %q): %s\n", line, id, note)
}

func (l *noteLog) close() error { return l.file.close() }

func lineText(line int) string {
	if line <= 0 {
		return ""
	}
	return strconv.Itoa(line)
}

// describe splits a row's error into the fields refused, by wire name, and
// a reason without the SDK's prefixes.
func describe(err error) (fields, reason string) {
	var invalid *commet.ValidationError
	if !errors.As(err, &invalid) || len(invalid.Fields) == 0 {
		return "", err.Error()
	}
	names := slices.Sorted(maps.Keys(invalid.Fields))
	reasons := make([]string, len(names))
	for i, name := range names {
		reasons[i] = name + ": " + strings.Join(invalid.Fields[name], ", ")
	}
	return strings.Join(names, ";"), strings.Join(reasons, "; ")
}

// report is what an import did, for the summary at its end.
type report struct {
	name, failuresFile, stateFile string
	dryRun, stoppedEarly          bool
	sum                           commet.ImportSummary
	unreadable                    int
	// dropped counts the rows read without their address; archivedAfter
	// the customers archived after their create (to archive, in a dry
	// run), notArchived those that could not be; tooLarge the items a dry
	// run found over RequestBodyLimit; resumed the rows that earlier runs
	// settled (--state-file), read but not sent again.
	dropped, archivedAfter, notArchived, tooLarge, resumed int
	requests, limited                                      int64
	elapsed                                                time.Duration
}

// failed counts the rows refused: unreadable, invalid, or refused by
// Commet; unknown and not sent rows are counted apart.
func (r *report) failed() int { return r.sum.Failed - r.sum.Unknown - r.sum.NotSent + r.unreadable }
func (r *report) total() int  { return r.sum.Done + r.unreadable }
func (r *report) settled() int {
	return r.sum.Created + r.sum.Existed + r.sum.Archived + r.sum.Repeated
}

// ok reports whether every row settled.
func (r *report) ok() bool { return r.total() == r.settled() && !r.stoppedEarly && r.notArchived == 0 }

func (r *report) print(w io.Writer) {
	rate := 0.0
	if s := r.elapsed.Seconds(); s > 0 {
		rate = float64(r.total()) / s
	}
	see := ""
	if r.failuresFile != "" && r.failed()+r.sum.Unknown+r.sum.NotSent+r.notArchived > 0 {
		see = "  (listed in " + r.failuresFile + ")"
	}
	if r.dryRun {
		fmt.Fprintf(w, "dry run of %s, nothing sent: %d rows in %v (%.0f rows/s)\n", r.name, r.total(), round(r.elapsed), rate)
		fmt.Fprintf(w, "  to send   %7d\n  repeated  %7d\n  failed    %7d%s\n", r.sum.Created, r.sum.Repeated, r.failed(), see)
		r.printNotes(w, "to archive")
		return
	}
	fmt.Fprintf(w, "import of %s: %d rows in %v (%.0f rows/s)\n", r.name, r.total(), round(r.elapsed), rate)
	fmt.Fprintf(w, "  created   %7d\n  existed   %7d\n  archived  %7d\n  repeated  %7d\n", r.sum.Created, r.sum.Existed, r.sum.Archived, r.sum.Repeated)
	fmt.Fprintf(w, "  failed    %7d%s\n  unknown   %7d\n  not sent  %7d\n", r.failed(), see, r.sum.Unknown, r.sum.NotSent)
	r.printNotes(w, "archived after create")
	fmt.Fprintf(w, "  requests  %7d  (%d answered 429)\n", r.requests, r.limited)
	if r.stoppedEarly || r.sum.Unknown+r.sum.NotSent+r.notArchived > 0 {
		again := "run the same command again to import the rest"
		if r.stateFile == "" {
			again += " (with --state-file FILE, the re-run sends only the rows left and its report also counts what this run did)"
		}
		fmt.Fprintln(w, again)
	}
}

// printNotes prints the counts of rows changed or followed up on the way,
// those that are not zero: they are among the rows counted above.
func (r *report) printNotes(w io.Writer, archived string) {
	if r.dropped > 0 {
		fmt.Fprintf(w, "  of which, address dropped (--incomplete-address drop) %d\n", r.dropped)
	}
	if r.archivedAfter > 0 {
		fmt.Fprintf(w, "  of which, %s (isActive false) %d\n", archived, r.archivedAfter)
	}
	if r.notArchived > 0 {
		fmt.Fprintf(w, "  of which, created but not archived %d (listed in the failures as not_archived)\n", r.notArchived)
	}
	if r.resumed > 0 {
		fmt.Fprintf(w, "  of which, settled by earlier runs (--state-file), not sent again %d\n", r.resumed)
	}
	if r.tooLarge > 0 {
		fmt.Fprintf(w, "  of which, over %d bytes as JSON, which Commet may refuse as too large %d\n", RequestBodyLimit, r.tooLarge)
	}
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
