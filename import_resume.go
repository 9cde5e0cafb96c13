package commet

import (
	"errors"
	"hash/maphash"
)

// Resuming an import: how far an import is settled (ImportCheckpoint, in
// every ImportSummary), and a run that starts from an earlier run's
// checkpoint (ImportCustomersParams.Resume), reading the settled items
// again but sending none of them.

// ImportCheckpoint is how far an import is settled, for a later run to
// resume from: the first Items items of the input all have their final
// outcome, and the counts are theirs (Created + Existed + Archived +
// Repeated + Failed = Items). A final outcome is created, existed,
// archived, repeated, or a refusal of the item's data (a failure matching
// [ErrValidation], by the SDK or by Commet), which sending again cannot
// change. Any other failure ([ErrNotSent], [ErrOutcomeUnknown], a 5xx or a
// network error after the retries, a refused key) is to be sent again, so
// the checkpoint stops before the first such item for the rest of the run
// (a resumed run sends it, and everything after it, again).
//
// The items past Items may have outcomes too (batches settle in any
// order); a run stopped at any moment has sent at most those and the
// batches in flight beyond its last checkpoint.
type ImportCheckpoint struct {
	// Items is the length of the settled prefix of the input.
	Items int
	// Created, Existed, Archived, Repeated and Failed count the outcomes
	// of the first Items items. Failed counts refusals of the items' data
	// only.
	Created, Existed, Archived, Repeated, Failed int
}

func (c ImportCheckpoint) check() error {
	sum := c.Created + c.Existed + c.Archived + c.Repeated + c.Failed
	if c.Items < 0 || c.Created < 0 || c.Existed < 0 || c.Archived < 0 || c.Repeated < 0 || c.Failed < 0 || sum != c.Items {
		return misconfigured("Resume counts %d outcomes, not negative, for its %d items; got %+v", sum, c.Items, c)
	}
	return nil
}

// summary is the count a resumed run starts from.
func (c ImportCheckpoint) summary() ImportSummary {
	return ImportSummary{
		Done: c.Items, Created: c.Created, Existed: c.Existed, Archived: c.Archived, Repeated: c.Repeated, Failed: c.Failed,
		Settled: c, Resumed: c.Items,
	}
}

// errShortInput is why a resumed import failed when its input ended inside
// the prefix that its Resume says is settled.
var errShortInput = errors.New("the input ended before the items that ImportCustomersParams.Resume says an earlier run settled: it is not that run's input")

// prefix follows the settled prefix of an import as outcomes come, in any
// order: the outcomes of the items past it wait in ahead until the gap
// before them fills.
type prefix struct {
	at    ImportCheckpoint
	ahead []Outcome // outcomes of items at.Items, at.Items+1, ...: 0 for none yet, notFinal for a failure to redo
	stuck bool      // the item at at.Items will not get a final outcome in this run
}

// notFinal marks an outcome that a later run must redo.
const notFinal Outcome = 0xff

// settle records the outcome of the item of index.
func (p *prefix) settle(index int, res *ImportItemResult) {
	i := index - p.at.Items
	if p.stuck || i < 0 {
		return
	}
	o := res.Outcome
	if o == OutcomeFailed && !errors.Is(res.Err, ErrValidation) {
		o = notFinal
	}
	for len(p.ahead) <= i {
		p.ahead = append(p.ahead, 0)
	}
	p.ahead[i] = o
	for len(p.ahead) > 0 && p.ahead[0] != 0 {
		switch p.ahead[0] {
		case notFinal:
			p.stuck, p.ahead = true, nil
			return
		case OutcomeCreated:
			p.at.Created++
		case OutcomeExisted:
			p.at.Existed++
		case OutcomeArchived:
			p.at.Archived++
		case OutcomeRepeated:
			p.at.Repeated++
		default:
			p.at.Failed++
		}
		p.at.Items++
		p.ahead = p.ahead[1:]
	}
}

// resumed takes an item of the prefix that an earlier run settled: it is
// not sent, and not reported again, but its ID goes into the ledger as
// that run left it, so that a later item with the same ID is what it would
// have been in one run: a repeat of the first item of the ID that did not
// fail (settled without a request), or, when every earlier item of the ID
// failed, sent. A repeat's Differs then compares it with the data of that
// earlier item, the best guess of what Commet holds, since the customer
// itself was in the earlier run's answer (the two differ when that item's
// customer existed, with other data).
func (r *importRun) resumed(it importItem) {
	if it.item.ID == "" {
		return
	}
	failed := r.params.ResumeFailed != nil && r.params.ResumeFailed(it.index)
	r.mu.Lock()
	defer r.mu.Unlock()
	e, seen := r.ids.find(it.item.ID)
	switch {
	case !seen && failed:
		r.ids.add(it.item.ID, newIDState(it.index, idFailed)) // untracked if full: a repeat is sent
	case !seen:
		if e, ok := r.ids.add(it.item.ID, newIDState(it.index, idSettled)); ok {
			e.held = r.fingerprintOfItem(&it.item)
		}
	case !failed && e.state.state() == idFailed:
		e.state = newIDState(it.index, idSettled)
		e.held = r.fingerprintOfItem(&it.item)
	}
}

// fingerprintOfItem is the fingerprint of the customer item would make.
func (r *importRun) fingerprintOfItem(item *CreateCustomerParams) fingerprint {
	var fp fingerprint
	for i, v := range sentFields(item) {
		fp[i] = uint16(maphash.String(r.seed, v))
	}
	return fp
}
