package customers

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/commet-go/commet/cmd/commet/internal/cli/rows"
)

// addressNote says what sync cannot compare.
const addressNote = "addresses are not compared: Commet does not return them (a row's address is sent with its create only)"

// printPlan prints the plan in format: a table (its counts, then a line a
// step), JSON (the counts and the steps), or CSV (a line a changed field,
// cells neutralised as export neutralises them).
func printPlan(w io.Writer, format, name string, plan *syncPlan, maxArchive int) error {
	switch format {
	case formatJSON:
		out := struct {
			File string `json:"file"`
			*syncPlan
			Steps     []*syncStep `json:"steps"`
			Addresses string      `json:"addresses"`
			Refused   string      `json:"refused,omitempty"`
		}{name, plan, plan.steps, addressNote, refusal(plan, maxArchive)}
		if out.Steps == nil {
			out.Steps = []*syncStep{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case formatCSV:
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"action", "line", "id", "commet_id", "field", "in_commet", "in_file", "reason"})
		for _, s := range plan.steps {
			row := func(c syncChange) {
				cells := []string{s.Action, lineText(s.Line), s.ID, s.CommetID, c.Field, c.InCommet, c.InFile, s.Reason}
				for i := range cells {
					cells[i] = rows.NeutralizeCell(cells[i])
				}
				_ = cw.Write(cells)
			}
			if len(s.Changes) == 0 {
				row(syncChange{})
			}
			for _, c := range s.Changes {
				row(c)
			}
		}
		cw.Flush()
		return cw.Error()
	}
	fmt.Fprintf(w, "plan for %s (%d rows; Commet holds %d active customers):\n", name, plan.Rows, plan.Active)
	plan.printCounts(w)
	if r := refusal(plan, maxArchive); r != "" {
		fmt.Fprintf(w, "apply would refuse: %s\n", r)
	}
	fmt.Fprintln(w, addressNote)
	if len(plan.steps) == 0 {
		fmt.Fprintln(w, "nothing to do: Commet matches the file")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nACTION\tLINE\tID\tFIELD OR REASON\tIN COMMET\tIN FILE")
	for _, s := range plan.steps {
		if len(s.Changes) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t\n", s.Action, lineText(s.Line), cell(s.ID), s.Reason)
		}
		for _, c := range s.Changes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Action, lineText(s.Line), cell(s.ID), cell(c.Field), cell(c.InCommet), cell(c.InFile))
		}
	}
	return tw.Flush()
}

// refusal says why apply would refuse the plan's archives; "" when it would not.
func refusal(plan *syncPlan, maxArchive int) string {
	if n := plan.archiveActive; n > archiveAllowance(plan.Active, maxArchive) {
		return fmt.Sprintf("it archives %d of the %d active customers, more than 1%%; --max-archive %d allows it", n, plan.Active, n)
	}
	return ""
}

// printCounts prints the plan's counts, and what it leaves alone.
func (p *syncPlan) printCounts(w io.Writer) {
	fmt.Fprintf(w, "  create    %7d\n  update    %7d\n  archive   %7d\n  unchanged %7d\n  repeated  %7d\n  failed    %7d\n",
		p.Create, p.Update, p.Archive, p.Unchanged, p.Repeated, p.Failed)
	p.printNotes(w)
}

// printNotes prints what the plan leaves alone, and why; counts that are zero are left out.
func (p *syncPlan) printNotes(w io.Writer) {
	if p.createdEarlier > 0 {
		fmt.Fprintf(w, "  of which unchanged, created by an earlier run (since --state-file's start) %d\n", p.createdEarlier)
	}
	if p.updatedEarlier > 0 {
		fmt.Fprintf(w, "  of which unchanged, updated since --state-file's start (by an earlier run, or another writer) %d\n", p.updatedEarlier)
	}
	if p.archivedEarlier > 0 {
		fmt.Fprintf(w, "  archived since --state-file's start (by an earlier run, or another writer), not planned again %d\n", p.archivedEarlier)
	}
	if p.stillArchived > 0 {
		fmt.Fprintf(w, "  rows whose customer Commet holds archived (archiving cannot be undone) %d\n", p.stillArchived)
	}
	if p.noExternalID > 0 {
		fmt.Fprintf(w, "  active customers without an externalId, which no row can name, left alone %d\n", p.noExternalID)
	}
	if p.addressesNotSent > 0 {
		fmt.Fprintf(w, "  rows of existing customers whose address is not compared nor sent %d\n", p.addressesNotSent)
	}
}

// syncReport is what an apply did, for the summary at its end.
type syncReport struct {
	name, failuresFile, stateFile string
	plan                          *syncPlan
	created, existed              int
	updated, archived             int
	failed, unknown, notSent      int
	stoppedEarly                  bool
	// halt is the error that ended the creates (Import's), if any.
	halt              error
	requests, limited int64
	elapsed           time.Duration
}

func (r *syncReport) print(w io.Writer) {
	p := r.plan
	see := ""
	if r.failuresFile != "" && p.Failed+r.failed+r.unknown+r.notSent > 0 {
		see = "  (listed in " + r.failuresFile + ")"
	}
	fmt.Fprintf(w, "sync of %s: %d rows, %d changes planned, in %v\n", r.name, p.Rows, len(p.steps), round(r.elapsed))
	fmt.Fprintf(w, "  created   %7d\n  updated   %7d\n  archived  %7d\n  unchanged %7d\n  repeated  %7d\n",
		r.created, r.updated, r.archived, p.Unchanged, p.Repeated)
	fmt.Fprintf(w, "  failed    %7d%s\n  unknown   %7d\n  not sent  %7d\n", p.Failed+r.failed, see, r.unknown, r.notSent)
	if r.existed > 0 {
		fmt.Fprintf(w, "  existed when created (by another writer since the plan: run sync again to compare) %d\n", r.existed)
	}
	p.printNotes(w)
	fmt.Fprintf(w, "  requests  %7d  (%d answered 429)\n", r.requests, r.limited)
	fmt.Fprintln(w, addressNote)
	if r.stoppedEarly || r.halt != nil || r.unknown+r.notSent > 0 {
		again := "run the same command again to make the changes not made"
		if r.stateFile == "" {
			again += " (with --state-file FILE, the re-run's report also counts what this run created)"
		}
		fmt.Fprintln(w, again)
	}
}
