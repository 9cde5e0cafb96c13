package customers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/rows"
)

// What sync does for one customer.
const (
	actionCreate  = "create"
	actionUpdate  = "update"
	actionArchive = "archive"
)

// syncChange is one field a step changes: its value in Commet and in the
// file. Metadata is compared key by key (field metadata.KEY), values as JSON.
type syncChange struct {
	Field    string `json:"field"`
	InCommet string `json:"inCommet"`
	InFile   string `json:"inFile"`
}

// syncStep is one thing the plan does to one customer.
type syncStep struct {
	Action string `json:"action"`
	// Line is the row's line in the input; 0 for a customer the file lacks.
	Line int    `json:"line,omitempty"`
	ID   string `json:"id"`
	// CommetID is the customer's ID in Commet; empty before a create.
	CommetID string       `json:"commetId,omitempty"`
	Changes  []syncChange `json:"changes,omitempty"`
	// Reason says why a customer is archived, or that a create is followed
	// by an archive.
	Reason string `json:"reason,omitempty"`

	email        string // for the failures file
	create       *commet.CreateCustomerParams
	update       *commet.UpdateCustomerParams
	archiveAfter bool // a create whose row says isActive false
}

// Reasons of a syncStep.
const (
	reasonMissing      = "not in the file (--archive-missing)"
	reasonInactive     = "isActive false in the file"
	reasonArchiveAfter = "then archived: isActive false in the file"
)

// syncPlan is what sync would do, and the counts a person checks first.
type syncPlan struct {
	steps []*syncStep

	Rows      int `json:"rows"`
	Create    int `json:"create"`
	Update    int `json:"update"`
	Unchanged int `json:"unchanged"`
	// Archive counts every archive: customers the file lacks, rows whose
	// isActive is false, new customers archived after their create.
	Archive  int `json:"archive"`
	Repeated int `json:"repeated"`
	Failed   int `json:"failed"`

	// Active counts the active customers Commet holds; archiveActive the
	// active customers the plan archives (what the 1% rule weighs).
	Active        int `json:"active"`
	archiveActive int
	// noExternalID counts the active customers without an externalId:
	// no row can name them, so sync leaves them alone.
	noExternalID int
	// unnamed counts the rows that failed without an ID: a customer they
	// meant is not known, and --archive-missing could archive it.
	unnamed int
	// stillArchived counts the rows whose customer Commet holds archived:
	// archiving cannot be undone.
	stillArchived int
	// addressesNotSent counts the rows with an address whose customer
	// exists: addresses are not compared, and not sent with an update.
	addressesNotSent int
	// createdEarlier counts the unchanged customers created at or after
	// the migration's start (--state-file): by an earlier run.
	createdEarlier int
	// updatedEarlier counts the other unchanged customers, active, that
	// were changed at or after the migration's start, and archivedEarlier
	// the customers the file wants archived (isActive false, or missing
	// with --archive-missing) that were: by an earlier run, or by another
	// writer, which Commet's answers cannot tell apart.
	updatedEarlier, archivedEarlier int
}

// loadCustomers reads every customer Commet holds, by external ID, and
// counts the active ones, and those among them without an external ID.
func loadCustomers(ctx context.Context, client *commet.Client) (held map[string]*commet.Customer, active, noExternalID int, err error) {
	held = map[string]*commet.Customer{}
	for c, err := range client.Customers.All(ctx, &commet.ListCustomersParams{Limit: commet.MaxCustomerBatchSize}) {
		if err != nil {
			return nil, 0, 0, fmt.Errorf("reading Commet's customers: %w", err)
		}
		if c.IsActive {
			active++
		}
		if c.ExternalID == "" {
			if c.IsActive {
				noExternalID++
			}
			continue
		}
		held[c.ExternalID] = c
	}
	return held, active, noExternalID, nil
}

// planner compares the rows of a file with the customers Commet holds.
type planner struct {
	held       map[string]*commet.Customer
	clearEmpty bool
	since      time.Time // the migration's start, zero without a state file
	failures   *failureLog
	notes      *noteLog
	plan       syncPlan
	seen       map[string]int // ID -> the line of its first row
}

// planSync reads every row of rd and plans what makes Commet match it.
func planSync(rd *rows.Reader, held map[string]*commet.Customer, active, noExternalID int, o *SyncOptions, since time.Time, failures *failureLog, notes *noteLog) (*syncPlan, error) {
	p := &planner{held: held, clearEmpty: o.ClearEmpty, since: since, failures: failures, notes: notes, seen: map[string]int{}}
	p.plan.Active, p.plan.noExternalID = active, noExternalID
	for {
		row, err := rd.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		p.plan.Rows++
		p.row(row)
	}
	if o.ArchiveMissing {
		for _, id := range slices.Sorted(maps.Keys(held)) {
			switch c := held[id]; {
			case p.seen[id] != 0:
			case c.IsActive:
				p.add(&syncStep{Action: actionArchive, ID: id, CommetID: c.ID, Reason: reasonMissing})
				p.plan.archiveActive++
			case p.changedEarlier(c):
				p.plan.archivedEarlier++
			}
		}
	}
	return &p.plan, nil
}

func (p *planner) add(s *syncStep) {
	p.plan.steps = append(p.plan.steps, s)
	switch s.Action {
	case actionCreate:
		p.plan.Create++
		if s.archiveAfter {
			p.plan.Archive++
		}
	case actionUpdate:
		p.plan.Update++
	case actionArchive:
		p.plan.Archive++
	}
}

func (p *planner) fail(line int, id, email, fields, reason string) {
	p.failures.write(line, id, email, "failed", fields, reason, "")
	p.plan.Failed++
}

// row plans one row.
func (p *planner) row(row rows.Row) {
	id, email := row.Params.ID, row.Params.Email
	if row.Err != nil {
		p.fail(row.Line, id, email, row.Err.Field, row.Err.Reason)
		if id != "" {
			p.seen[id] = row.Line // never archived as missing
		} else {
			p.plan.unnamed++
		}
		return
	}
	if first := p.seen[id]; first != 0 {
		p.notes.write(row.Line, id, fmt.Sprintf("repeats the id of line %d: only the first row of an id is synced", first))
		p.plan.Repeated++
		return
	}
	p.seen[id] = row.Line
	c := p.held[id]
	if c == nil {
		params := row.Params
		if err := params.Validate(); err != nil {
			fields, reason := describe(err)
			p.fail(row.Line, id, email, fields, reason)
			return
		}
		s := &syncStep{Action: actionCreate, Line: row.Line, ID: id, email: email, create: &params, archiveAfter: row.Archive}
		if row.Archive {
			s.Reason = reasonArchiveAfter
		}
		p.add(s)
		return
	}
	changes, update, err := diffCustomer(c, row, p.clearEmpty)
	if err != nil {
		fields, reason := describe(err)
		p.fail(row.Line, id, email, fields, reason)
		return
	}
	if row.Params.Address != nil {
		p.plan.addressesNotSent++
	}
	if update != nil {
		p.add(&syncStep{Action: actionUpdate, Line: row.Line, ID: id, CommetID: c.ID, Changes: changes, email: email, update: update})
	}
	switch {
	case row.Archive && c.IsActive:
		p.add(&syncStep{Action: actionArchive, Line: row.Line, ID: id, CommetID: c.ID, email: email, Reason: reasonInactive})
		p.plan.archiveActive++
	case !row.Archive && !c.IsActive:
		p.notes.write(row.Line, id, "Commet holds this customer archived, and archiving cannot be undone: it stays archived")
		p.plan.stillArchived++
	}
	if update == nil && !(row.Archive && c.IsActive) {
		p.plan.Unchanged++
		switch {
		case !p.since.IsZero() && !c.CreatedAt.Before(p.since):
			p.plan.createdEarlier++
		case !p.changedEarlier(c):
		case c.IsActive:
			p.plan.updatedEarlier++
		case row.Archive:
			p.plan.archivedEarlier++
		}
	}
}

// changedEarlier reports whether c was changed at or after the
// migration's start (--state-file).
func (p *planner) changedEarlier(c *commet.Customer) bool {
	return !p.since.IsZero() && !c.UpdatedAt.Before(p.since)
}

// syncedField is a text field sync compares: its names in a row and on the
// wire, its value in the file and in Commet, and where an update sets it.
type syncedField struct {
	field, wire string
	file        func(*commet.CreateCustomerParams) string
	held        func(*commet.Customer) string
	set         func(*commet.UpdateCustomerParams, *string)
	// fold compares without letter case (emails, time zone names).
	fold bool
}

var syncedFields = []syncedField{
	{"email", "billingEmail", func(p *commet.CreateCustomerParams) string { return p.Email }, func(c *commet.Customer) string { return c.Email },
		func(u *commet.UpdateCustomerParams, v *string) { u.Email = v }, true},
	{"fullName", "fullName", func(p *commet.CreateCustomerParams) string { return p.FullName }, func(c *commet.Customer) string { return c.FullName },
		func(u *commet.UpdateCustomerParams, v *string) { u.FullName = v }, false},
	{"domain", "domain", func(p *commet.CreateCustomerParams) string { return p.Domain }, func(c *commet.Customer) string { return c.Domain },
		func(u *commet.UpdateCustomerParams, v *string) { u.Domain = v }, false},
	{"website", "website", func(p *commet.CreateCustomerParams) string { return p.Website }, func(c *commet.Customer) string { return c.Website },
		func(u *commet.UpdateCustomerParams, v *string) { u.Website = v }, false},
	{"timezone", "timezone", func(p *commet.CreateCustomerParams) string { return p.Timezone }, func(c *commet.Customer) string { return c.Timezone },
		func(u *commet.UpdateCustomerParams, v *string) { u.Timezone = v }, true},
	{"language", "language", func(p *commet.CreateCustomerParams) string { return p.Language }, func(c *commet.Customer) string { return c.Language },
		func(u *commet.UpdateCustomerParams, v *string) { u.Language = v }, false},
	{"industry", "industry", func(p *commet.CreateCustomerParams) string { return p.Industry }, func(c *commet.Customer) string { return c.Industry },
		func(u *commet.UpdateCustomerParams, v *string) { u.Industry = v }, false},
}

// errCannotClearEmail is a row that asks, with --clear-empty, to clear the
// billing email, which Commet requires.
var errCannotClearEmail = &commet.ValidationError{Fields: map[string][]string{
	"billingEmail": {"the cell is empty, and Commet cannot clear a billing email (it requires one): fill it, or run without --clear-empty"}}}

// diffCustomer compares a row with the customer Commet holds: the fields
// that differ, and the update that changes them (nil when none does). An
// empty cell changes nothing unless clearEmpty; metadata is merged key by
// key into Commet's, since an update replaces the whole of it. The
// customer the update would leave must pass Validate.
func diffCustomer(c *commet.Customer, row rows.Row, clearEmpty bool) ([]syncChange, *commet.UpdateCustomerParams, error) {
	has := map[string]bool{}
	for _, f := range row.Fields {
		has[f] = true
	}
	var changes []syncChange
	var u commet.UpdateCustomerParams
	for _, f := range syncedFields {
		inFile, inCommet := strings.TrimSpace(f.file(&row.Params)), strings.TrimSpace(f.held(c))
		switch {
		case inFile == "" && (!clearEmpty || !has[f.field] || inCommet == ""):
			continue
		case inFile == "" && f.field == "email":
			return nil, nil, errCannotClearEmail
		case inFile == inCommet || f.fold && strings.EqualFold(inFile, inCommet):
			continue
		}
		v := inFile
		f.set(&u, &v)
		changes = append(changes, syncChange{Field: f.wire, InCommet: f.held(c), InFile: inFile})
	}
	merged, mdChanges := mergeMetadata(c.Metadata, row, has, clearEmpty)
	if len(mdChanges) > 0 {
		changes = append(changes, mdChanges...)
		u.Metadata = merged
		if u.Metadata == nil {
			u.Metadata = map[string]any{} // {} clears the metadata
		}
	}
	if len(changes) == 0 {
		return nil, nil, nil
	}
	after := commet.CreateCustomerParams{ID: row.Params.ID, Email: c.Email, FullName: c.FullName, Domain: c.Domain, Website: c.Website,
		Timezone: c.Timezone, Language: c.Language, Industry: c.Industry, Metadata: u.Metadata}
	for _, p := range []struct{ to, from *string }{{&after.Email, u.Email}, {&after.FullName, u.FullName}, {&after.Domain, u.Domain},
		{&after.Website, u.Website}, {&after.Timezone, u.Timezone}, {&after.Language, u.Language}, {&after.Industry, u.Industry}} {
		if p.from != nil {
			*p.to = *p.from
		}
	}
	if err := after.Validate(); err != nil {
		return nil, nil, err
	}
	return changes, &u, nil
}

// mergeMetadata is Commet's metadata with the row's keys on top: a key the
// row gives a value sets it; a key whose cell is empty (or null in NDJSON)
// is removed with clearEmpty, else kept; a key the row has no column for is
// kept. It returns the merged metadata (nil for none) and a change per key
// whose value differs, in key order.
func mergeMetadata(held map[string]any, row rows.Row, has map[string]bool, clearEmpty bool) (map[string]any, []syncChange) {
	keys := map[string]bool{}
	for f := range has {
		if k, ok := strings.CutPrefix(f, "metadata."); ok {
			keys[k] = true
		}
	}
	for k := range row.Params.Metadata {
		keys[k] = true
	}
	merged := maps.Clone(held)
	var changes []syncChange
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		v, given := row.Params.Metadata[k]
		old, had := held[k]
		switch {
		case given && v != nil:
			if had && jsonText(old) == jsonText(v) {
				continue
			}
			if merged == nil {
				merged = map[string]any{}
			}
			merged[k] = v
			changes = append(changes, syncChange{Field: "metadata." + k, InCommet: heldText(old, had), InFile: jsonText(v)})
		case clearEmpty && had:
			delete(merged, k)
			changes = append(changes, syncChange{Field: "metadata." + k, InCommet: jsonText(old)})
		}
	}
	if len(merged) == 0 {
		merged = nil
	}
	return merged, changes
}

// jsonText is a metadata value as the JSON Commet reads back: a number
// sent as 5.0 reads back 5, and keys sort.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	var back any
	if json.Unmarshal(b, &back) != nil {
		return string(b)
	}
	b, _ = json.Marshal(back)
	return string(b)
}

func heldText(v any, had bool) string {
	if !had {
		return ""
	}
	return jsonText(v)
}
