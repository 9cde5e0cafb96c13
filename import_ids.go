package commet

import (
	"hash/maphash"
)

// idState is what Import remembers of an ID: the index of the item that
// holds it, and whether that item is in flight, settled the customer, or
// failed.
type idState uint64

const (
	idInFlight = iota
	idSettled
	idFailed
)

func newIDState(index, state int) idState { return idState(uint64(index)<<2 | uint64(state)) }
func (s idState) index() int              { return int(s >> 2) }
func (s idState) state() int              { return int(s & 3) }

// admit reports whether item may go in a batch now; a repeat of an ID
// whose item is in flight waits for it instead.
func (r *importRun) admit(it importItem) bool {
	if it.item.ID == "" {
		return true
	}
	h := maphash.String(r.seed, it.item.ID)
	r.mu.Lock()
	defer r.mu.Unlock()
	st, seen := r.ids[h]
	switch {
	case !seen || st.state() == idFailed:
		r.ids[h] = newIDState(it.index, idInFlight)
	case st.state() == idInFlight:
		r.waiting[h] = append(r.waiting[h], it)
		return false
	}
	return true
}

// settleID updates what is known of the item's ID with its outcome, turns a
// repeat into OutcomeRepeated, and returns the repeats its outcome lets go.
// Called with r.mu held.
func (r *importRun) settleID(it importItem, res *CustomerImportResult) importBatch {
	h := maphash.String(r.seed, it.item.ID)
	st, seen := r.ids[h]
	if !seen {
		return nil // never admitted: refused before sending
	}
	ok := res.Outcome != OutcomeFailed
	switch {
	case st.state() == idSettled && st.index() != it.index:
		if ok {
			res.Outcome, res.RepeatOf = OutcomeRepeated, st.index()
		}
		return nil
	case st.state() != idInFlight || st.index() != it.index:
		return nil
	}
	waiting := r.waiting[h]
	delete(r.waiting, h)
	switch {
	case ok:
		r.ids[h] = newIDState(it.index, idSettled)
		return waiting // now repeats of a settled ID
	case len(waiting) > 0:
		r.ids[h] = newIDState(waiting[0].index, idInFlight) // the next item carries the ID
		if len(waiting) > 1 {
			r.waiting[h] = waiting[1:]
		}
		return waiting[:1]
	default:
		r.ids[h] = newIDState(it.index, idFailed)
		return nil
	}
}
