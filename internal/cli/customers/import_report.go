package customers

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/commet-go/commet"
)

// csvLog is a CSV file written from several goroutines (the reader's, for
// rows it cannot read, and the import's); a nil *csvLog writes nothing.
type csvLog struct {
	mu   sync.Mutex
	file *os.File
	w    *csv.Writer
	n    int
}

func newCSVLog(name string, header ...string) (*csvLog, error) {
	if name == "" {
		return nil, nil
	}
	fh, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600) // it holds emails
	if err != nil {
		return nil, err
	}
	l := &csvLog{file: fh, w: csv.NewWriter(fh)}
	_ = l.w.Write(header) // errors surface at close
	return l, nil
}

func (l *csvLog) write(row ...string) {
	if l == nil {
		return
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

func newFailureLog(name string) (*failureLog, error) {
	l, err := newCSVLog(name, "line", "id", "email", "outcome", "fields", "reason", "request_id")
	return &failureLog{l}, err
}

func (l *failureLog) write(line int, id, email, outcome, fields, reason, requestID string) {
	l.csvLog.write(lineText(line), id, email, outcome, fields, reason, requestID)
}

// differenceLog lists the rows whose customer existed (or was repeated
// earlier in the input) with other data, for a follow-up update.
type differenceLog struct{ *csvLog }

func newDifferenceLog(name string) (*differenceLog, error) {
	l, err := newCSVLog(name, "line", "id", "outcome", "fields", "repeats_line")
	return &differenceLog{l}, err
}

func (l *differenceLog) write(line int, id, outcome, fields string, repeats int) {
	l.csvLog.write(lineText(line), id, outcome, fields, lineText(repeats))
}

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

// lineIndex maps the index of each row given to the import to its line in
// the input: 4 bytes a row.
type lineIndex struct {
	mu    sync.Mutex
	lines []int32
}

func (l *lineIndex) add(line int) {
	l.mu.Lock()
	l.lines = append(l.lines, int32(min(line, 1<<31-1)))
	l.mu.Unlock()
}

func (l *lineIndex) of(index int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if index < 0 || index >= len(l.lines) {
		return 0
	}
	return int(l.lines[index])
}

// report is what an import did, for the summary at its end.
type report struct {
	name, failuresFile, stateFile string
	dryRun, stoppedEarly          bool
	sum                           commet.ImportProgress
	unreadable                    int
	requests, limited             int64
	elapsed                       time.Duration
}

// failed counts the rows refused: unreadable, invalid, or refused by
// Commet; unknown and not sent rows are counted apart.
func (r *report) failed() int { return r.sum.Failed - r.sum.Unknown - r.sum.NotSent + r.unreadable }
func (r *report) total() int  { return r.sum.Done + r.unreadable }
func (r *report) settled() int {
	return r.sum.Created + r.sum.Existed + r.sum.Archived + r.sum.Repeated
}

// ok reports whether every row settled.
func (r *report) ok() bool { return r.total() == r.settled() && !r.stoppedEarly }

func (r *report) print(w io.Writer) {
	rate := 0.0
	if s := r.elapsed.Seconds(); s > 0 {
		rate = float64(r.total()) / s
	}
	see := ""
	if r.failuresFile != "" && r.failed()+r.sum.Unknown+r.sum.NotSent > 0 {
		see = "  (listed in " + r.failuresFile + ")"
	}
	if r.dryRun {
		fmt.Fprintf(w, "dry run of %s, nothing sent: %d rows in %v (%.0f rows/s)\n", r.name, r.total(), round(r.elapsed), rate)
		fmt.Fprintf(w, "  to send   %7d\n  repeated  %7d\n  failed    %7d%s\n", r.sum.Created, r.sum.Repeated, r.failed(), see)
		return
	}
	fmt.Fprintf(w, "import of %s: %d rows in %v (%.0f rows/s)\n", r.name, r.total(), round(r.elapsed), rate)
	fmt.Fprintf(w, "  created   %7d\n  existed   %7d\n  archived  %7d\n  repeated  %7d\n", r.sum.Created, r.sum.Existed, r.sum.Archived, r.sum.Repeated)
	fmt.Fprintf(w, "  failed    %7d%s\n  unknown   %7d\n  not sent  %7d\n", r.failed(), see, r.sum.Unknown, r.sum.NotSent)
	fmt.Fprintf(w, "  requests  %7d  (%d answered 429)\n", r.requests, r.limited)
	if r.stoppedEarly || r.sum.Unknown+r.sum.NotSent > 0 {
		again := "run the same command again to import the rest"
		if r.stateFile == "" {
			again += " (with --state FILE, the re-run's report also counts what this run created)"
		}
		fmt.Fprintln(w, again)
	}
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
