package commet

import (
	"cmp"
	"errors"
	"slices"
)

// Resuming an import: how far an import is settled (ImportCheckpoint, in
// every ImportSummary), and a run that starts from an earlier run's
// checkpoint (ImportCustomersParams.Resume), reading the settled items
// again but sending none of them.

// ImportCheckpoint is how far an import is settled, for a later run to
// resume from: the first Items items of the input all have their final
// outcome, as have the items of each range in Past, and the counts are
// theirs. A final outcome is created, existed, archived, repeated, or a
// refusal of the item's data (a failure matching [ErrValidation], by the
// SDK or by Commet), which sending again cannot change. Any other failure
// ([ErrNotSent], [ErrOutcomeUnknown], a 5xx or a network error after the
// retries, a refused key) leaves its item out, to be sent again.
//
// Past keeps the batches that settled while an earlier one was still on
// its way (waiting out a 429, say): a run stopped at any moment has sent,
// beyond its last checkpoint, only the batches in flight then.
type ImportCheckpoint struct {
	// Items is the length of the settled prefix of the input.
	Items int
	// Created, Existed, Archived, Repeated and Failed count the outcomes
	// of the first Items items (Created + ... + Failed = Items). Failed
	// counts refusals of the items' data only.
	Created, Existed, Archived, Repeated, Failed int
	// Past lists the settled items past Items, as ranges in input order,
	// apart from each other, each with its own counts.
	Past []ImportRange
}

// ImportRange is a range of settled items, From to To-1, and the counts of
// their outcomes (Created + ... + Failed = To - From).
type ImportRange struct {
	// From is the index of the range's first item, To one past its last.
	From, To int
	// Created, Existed, Archived, Repeated and Failed count the outcomes.
	Created, Existed, Archived, Repeated, Failed int
}

// tally counts one outcome into the five counts.
func tally(o Outcome, created, existed, archived, repeated, failed *int) {
	switch o {
	case OutcomeCreated:
		*created++
	case OutcomeExisted:
		*existed++
	case OutcomeArchived:
		*archived++
	case OutcomeRepeated:
		*repeated++
	default:
		*failed++
	}
}

func (c ImportCheckpoint) check() error {
	counts := func(n, c, e, a, r, f int) bool {
		return c >= 0 && e >= 0 && a >= 0 && r >= 0 && f >= 0 && c+e+a+r+f == n
	}
	if c.Items < 0 || !counts(c.Items, c.Created, c.Existed, c.Archived, c.Repeated, c.Failed) {
		return misconfigured("Resume counts %d outcomes, none negative, for its %d items; got %+v", c.Items, c.Items, c)
	}
	end := c.Items
	for _, r := range c.Past {
		if r.From < end || r.To <= r.From || !counts(r.To-r.From, r.Created, r.Existed, r.Archived, r.Repeated, r.Failed) {
			return misconfigured("Resume.Past holds ranges in order, apart, past Items, each counting its outcomes; got %+v", r)
		}
		end = r.To
	}
	return nil
}

// end is one past the last settled item.
func (c ImportCheckpoint) end() int {
	if len(c.Past) > 0 {
		return c.Past[len(c.Past)-1].To
	}
	return c.Items
}

// summary is the count a resumed run starts from.
func (c ImportCheckpoint) summary() ImportSummary {
	s := ImportSummary{
		Done: c.Items, Created: c.Created, Existed: c.Existed, Archived: c.Archived, Repeated: c.Repeated, Failed: c.Failed,
		Settled: c.clone(),
	}
	for _, r := range c.Past {
		s.Done += r.To - r.From
		s.Created, s.Existed, s.Archived, s.Repeated, s.Failed = s.Created+r.Created, s.Existed+r.Existed, s.Archived+r.Archived, s.Repeated+r.Repeated, s.Failed+r.Failed
	}
	s.Resumed = s.Done
	return s
}

// clone is c with a Past of its own (nil when empty).
func (c ImportCheckpoint) clone() ImportCheckpoint {
	if len(c.Past) == 0 {
		c.Past = nil
	} else {
		c.Past = slices.Clone(c.Past)
	}
	return c
}

// errShortInput is why a resumed import failed when its input ended before
// the items that its Resume says are settled.
var errShortInput = errors.New("the input ended before the items that ImportCustomersParams.Resume says an earlier run settled: it is not that run's input")

// settledSet follows which items of an import are settled, as outcomes
// come in any order: the prefix, and the ranges past it.
type settledSet struct{ at ImportCheckpoint }

// settle records the outcome of the item of index.
func (p *settledSet) settle(index int, res *ImportItemResult) {
	o := res.Outcome
	if o == OutcomeFailed && !errors.Is(res.Err, ErrValidation) || index < p.at.Items {
		return // to send again
	}
	at := &p.at
	if index == at.Items {
		at.Items++
		tally(o, &at.Created, &at.Existed, &at.Archived, &at.Repeated, &at.Failed)
		for len(at.Past) > 0 && at.Past[0].From == at.Items {
			r := at.Past[0]
			at.Items, at.Past = r.To, at.Past[1:]
			at.Created, at.Existed, at.Archived, at.Repeated, at.Failed = at.Created+r.Created, at.Existed+r.Existed, at.Archived+r.Archived, at.Repeated+r.Repeated, at.Failed+r.Failed
		}
		return
	}
	i, _ := slices.BinarySearchFunc(at.Past, index, func(r ImportRange, index int) int { return cmp.Compare(r.To, index) })
	switch {
	case i < len(at.Past) && at.Past[i].To == index: // it extends range i
		r := &at.Past[i]
		r.To++
		tally(o, &r.Created, &r.Existed, &r.Archived, &r.Repeated, &r.Failed)
		if i+1 < len(at.Past) && at.Past[i+1].From == r.To { // and joins the next
			n := at.Past[i+1]
			r.To = n.To
			r.Created, r.Existed, r.Archived, r.Repeated, r.Failed = r.Created+n.Created, r.Existed+n.Existed, r.Archived+n.Archived, r.Repeated+n.Repeated, r.Failed+n.Failed
			at.Past = slices.Delete(at.Past, i+1, i+2)
		}
	case i < len(at.Past) && at.Past[i].From == index+1: // it starts range i
		r := &at.Past[i]
		r.From--
		tally(o, &r.Created, &r.Existed, &r.Archived, &r.Repeated, &r.Failed)
	default:
		r := ImportRange{From: index, To: index + 1}
		tally(o, &r.Created, &r.Existed, &r.Archived, &r.Repeated, &r.Failed)
		at.Past = slices.Insert(at.Past, i, r)
	}
}

// skips reports whether the item of index was settled by an earlier run,
// for indexes asked in increasing order: past walks Resume.Past.
func (r *importRun) skips(index int, past *[]ImportRange) bool {
	if index < r.params.Resume.Items {
		return true
	}
	for len(*past) > 0 && (*past)[0].To <= index {
		*past = (*past)[1:]
	}
	return len(*past) > 0 && (*past)[0].From <= index
}

// resumed takes an item that an earlier run settled: it is
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
		r.ids.add(it.item.ID, newIDState(it.index, idFailed), presentFields(&it.item)) // untracked if full: a repeat is sent
	case !seen:
		if e, ok := r.ids.add(it.item.ID, newIDState(it.index, idSettled), presentFields(&it.item)); ok {
			r.ids.hold(e, r.fingerprintOfItem(&it.item))
		}
	case !failed && e.state().state() == idFailed:
		e.setState(newIDState(it.index, idSettled))
		r.ids.hold(e, r.fingerprintOfItem(&it.item))
	}
}
