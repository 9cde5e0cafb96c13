package commet

import (
	"encoding/json"
	"hash/maphash"
	"strings"
)

// The ID ledger: what Import remembers of each distinct ID of its input,
// so that a repeated ID is never sent while its first item is in flight,
// and never sent at all once that item settled the customer (a create
// never updates, so the request could change nothing). It is a table of
// exact IDs (see ledger): IDs are compared byte for byte, never by hash, so
// two different IDs are never taken for one. Each ID costs one entry in the
// arena, a 7-byte record (the item's index and state, and which compared
// fields its customer has) followed by a length byte, its bytes and 16
// bits for each field its customer has, and 5.3 to 8 bytes of index (it
// grows by half): 30 bytes an ID at a million IDs of 12 bytes whose
// customers have an email and a name (BenchmarkLedgerMemory; 42 when the
// fingerprint kept 16 bits of every field, present or not; the map it
// replaced held 117). The ledger lives outside the Go heap
// (mapped from the system on unix, see ledger), so the garbage collector's
// headroom, which lets the heap grow to twice what is live, does not double
// it; it is given back when Import returns. Everything else streams. Peak
// RSS of examples/migrate against commet-fake in another process (median
// of 3, min-max in brackets; BenchmarkPeakRSS): 25.6 (24.4-27.3) MB for
// 100,000 IDs and 55.3 (54.1-57.0) MB for a million, where a fingerprint
// of every field took 29.1 and 66.7, the ledger on the heap 34 and 126, and
// a raw net/http loop sending the same requests 13 at either size.
//
// The fingerprint keeps 16 bits a field rather than the customer: enough
// for Differs, which compares a later repeat with the customer the first
// item settled, to name a changed field but for 1 time in 65,536 per
// field. What such a miss costs: a repeat whose data differs from Commet's
// is reported as repeated without that field in Differs, so the caller is
// not told that the customer kept the older value. No request depends on
// it (a repeat is never sent: a create never updates), and the ID itself
// is exact. 32 bits a field (as before) made the miss 1 in 4 billion, at
// 2 bytes more for each field a customer has. A field that one side has
// and the other lacks is never missed: the record says which it has.

// idState packs an item's index and the state of its ID.
type idState uint64

const (
	idInFlight = iota
	idSettled
	idFailed
)

func newIDState(index, state int) idState { return idState(uint64(index)<<2 | uint64(state)) }
func (s idState) index() int              { return int(s >> 2) }
func (s idState) state() int              { return int(s & 3) }

// compared are the fields Differs compares, by wire name, in the order of
// a fingerprint. The address is not among them: Commet does not return it.
var compared = [...]string{"billingEmail", "fullName", "domain", "website", "timezone", "language", "industry", "metadata"}

// fingerprint holds which compared fields a customer has (not empty, as
// normalised), and a 16-bit hash of each, enough to tell later whether an
// item's data differs from it without keeping the customer. A changed
// field is missed 1 time in 65,536; a field present on one side only is
// never missed. The ledger keeps only the hashes of the fields present.
type fingerprint struct {
	has uint8                 // bit i: the customer has field compared[i]
	h   [len(compared)]uint16 // the hash of field i, when it has it; else 0
}

// sentFields and heldFields are the compared fields of an item and of a
// customer, as text, as Commet may normalise them: strings without
// surrounding space, emails without case, and metadata as the JSON Commet
// would read back.
func sentFields(item *CreateCustomerParams) [len(compared)]string {
	return normalised(item.Email, item.FullName, item.Domain, item.Website,
		item.Timezone, item.Language, item.Industry, canonicalJSON(item.Metadata))
}

func heldFields(c *Customer) [len(compared)]string {
	return normalised(c.Email, c.FullName, c.Domain, c.Website,
		c.Timezone, c.Language, c.Industry, canonicalJSON(c.Metadata))
}

func normalised(email string, rest ...string) [len(compared)]string {
	var out [len(compared)]string
	out[0] = strings.ToLower(strings.TrimSpace(email))
	for i, v := range rest {
		out[i+1] = strings.TrimSpace(v)
	}
	return out
}

// canonicalJSON is metadata as JSON with sorted keys, after a round trip
// (so an int sent reads as the float Commet holds); empty for none.
func canonicalJSON(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "\x00unencodable"
	}
	var back map[string]any
	if json.Unmarshal(b, &back) != nil {
		return "\x00unreadable"
	}
	b, _ = json.Marshal(back)
	return string(b)
}

func (r *importRun) fingerprintOf(c *Customer) fingerprint {
	return r.fingerprintFields(heldFields(c))
}

// fingerprintOfItem is the fingerprint of the customer item would make.
func (r *importRun) fingerprintOfItem(item *CreateCustomerParams) fingerprint {
	return r.fingerprintFields(sentFields(item))
}

func (r *importRun) fingerprintFields(fields [len(compared)]string) fingerprint {
	var fp fingerprint
	for i, v := range fields {
		if v != "" {
			fp.has |= 1 << i
			fp.h[i] = uint16(maphash.String(r.seed, v))
		}
	}
	return fp
}

// presentFields is how many compared fields item has, as sentFields would
// give them (not empty), without making them: the room its ID's entry
// keeps in the ledger for the fingerprint of its customer.
func presentFields(item *CreateCustomerParams) int {
	n := 0
	for _, v := range [...]string{item.Email, item.FullName, item.Domain, item.Website, item.Timezone, item.Language, item.Industry} {
		if strings.TrimSpace(v) != "" {
			n++
		}
	}
	if len(item.Metadata) > 0 {
		n++
	}
	return n
}

// differs names the fields of item whose value differs from the customer
// fingerprinted in held. A field the item leaves empty is not compared,
// except the email, which Commet always holds; nor is metadata the item
// does not set. A field that one side has and the other lacks differs.
func (r *importRun) differs(item *CreateCustomerParams, held fingerprint) []string {
	var out []string
	for i, v := range sentFields(item) {
		name := compared[i]
		if v == "" && name != "billingEmail" || name == "metadata" && item.Metadata == nil {
			continue
		}
		has := held.has&(1<<i) != 0
		if has != (v != "") || has && uint16(maphash.String(r.seed, v)) != held.h[i] {
			out = append(out, name)
		}
	}
	return out
}

// admit decides what becomes of an item with an ID as it is read: sent
// (true), made to wait for the item of the same ID in flight, or settled
// at once as a repeat of the item that settled its customer.
func (r *importRun) admit(it importItem) (send bool) {
	if it.item.ID == "" {
		return true
	}
	r.mu.Lock()
	e, seen := r.ids.find(it.item.ID)
	switch {
	case !seen:
		r.ids.add(it.item.ID, newIDState(it.index, idInFlight), presentFields(&it.item)) // untracked if full: repeats are sent
		r.mu.Unlock()
		return true
	case e.state().state() == idFailed:
		e.setState(newIDState(it.index, idInFlight))
		r.mu.Unlock()
		return true
	case e.state().state() == idInFlight:
		r.waiting[e] = append(r.waiting[e], it)
		r.mu.Unlock()
		return false
	}
	repeat := r.repeatOf(e)
	r.mu.Unlock()
	r.report(importBatch{it}, func(int) ImportItemResult { return repeat })
	return false
}

// repeatOf is the outcome of a repeat of the ID settled as e. Called with
// r.mu held.
func (r *importRun) repeatOf(e *ledgerRec) ImportItemResult {
	held := r.ids.held(e)
	return ImportItemResult{Outcome: OutcomeRepeated, RepeatOf: e.state().index(), held: &held}
}

// settleID records the outcome of the item that carries its ID, settles
// the repeats that waited for it, and returns the next item to carry the
// ID when this one failed. Called with r.mu held.
func (r *importRun) settleID(it importItem, res *ImportItemResult) (repeats []ImportItemResult, waited, retry importBatch) {
	e, seen := r.ids.find(it.item.ID)
	if !seen || e.state().state() != idInFlight || e.state().index() != it.index {
		return nil, nil, nil // never admitted (refused before sending), or not the carrier
	}
	waiting := r.waiting[e]
	delete(r.waiting, e)
	switch {
	case res.Outcome != OutcomeFailed:
		e.setState(newIDState(it.index, idSettled))
		r.ids.hold(e, r.fingerprintOf(res.Customer))
		for range waiting {
			repeats = append(repeats, r.repeatOf(e))
		}
		return repeats, waiting, nil
	case len(waiting) > 0:
		e.setState(newIDState(waiting[0].index, idInFlight)) // the next item carries the ID
		if len(waiting) > 1 {
			r.waiting[e] = waiting[1:]
		}
		return nil, nil, waiting[:1]
	default:
		e.setState(newIDState(it.index, idFailed))
		return nil, nil, nil
	}
}
