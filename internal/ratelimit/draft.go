package ratelimit

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// The IETF draft's fields (draft-ietf-httpapi-ratelimit-headers-12), both
// structured-field Lists (RFC 9651):
//
//	RateLimit-Policy: "burst";q=100;w=10, "day";q=100000;w=86400;qu="requests"
//	RateLimit: "burst";r=42;t=3
//
// Each policy is a String naming it, with its quota q (an Integer), the
// window w in seconds (an Integer), and optionally the quota's unit qu (a
// String: "requests" when absent) and a partition key pk (a Byte
// Sequence). Each member of RateLimit names a policy, with what is left
// of its quota r and the seconds until it is whole again t.

// Policy is one quota policy of a RateLimit-Policy field.
type Policy struct {
	// Name is the policy's name, as the RateLimit field names it.
	Name string
	// Quota is the quota (q): units allowed per window.
	Quota int
	// Window is the window's length (w); 0 when the policy states none.
	Window time.Duration
	// Unit is the quota's unit (qu): "requests" unless the policy says
	// otherwise ("content-bytes", "concurrent-requests").
	Unit string
	// PartitionKey is the partition the quota applies to (pk), as sent;
	// nil when the policy names none.
	PartitionKey []byte
}

// Status is one member of a RateLimit field: what is left of the quota of
// the policy it names.
type Status struct {
	// Policy is the name of the policy the member describes.
	Policy string
	// Remaining is what is left of the quota (r).
	Remaining int
	// Reset is the time until the quota is whole again (t), from when
	// the answer was written; valid when HasReset is set.
	Reset    time.Duration
	HasReset bool
	// PartitionKey is the partition (pk), as sent; nil when none.
	PartitionKey []byte
}

// unitRequests is the unit of a policy that states none.
const unitRequests = "requests"

// ParsePolicies parses a RateLimit-Policy field value. A value that is
// not a well-formed List of Items (RFC 9651) is an error, and nothing of
// it is read. A member that is well formed but not a policy (its value
// not a String; q missing, not an Integer or negative; w not an Integer
// above 0; qu not a String; pk not a Byte Sequence; a name already used)
// is left out, as the draft asks; parameters it does not know are ignored.
func ParsePolicies(v string) ([]Policy, error) {
	list, err := parseSFList(v)
	if err != nil {
		return nil, fmt.Errorf("RateLimit-Policy: %w", err)
	}
	var ps []Policy
next:
	for _, it := range list {
		name, ok := it.value.(string)
		if !ok {
			continue
		}
		for _, q := range ps {
			if q.Name == name {
				continue next
			}
		}
		p := Policy{Name: name, Unit: unitRequests}
		q, ok := intParam(it, "q")
		if !ok {
			continue
		}
		p.Quota = q
		if w, has := it.param("w"); has {
			secs, ok := w.(int64)
			if !ok || secs <= 0 || secs > maxResetSeconds {
				continue
			}
			p.Window = time.Duration(secs) * time.Second
		}
		if qu, has := it.param("qu"); has {
			if p.Unit, ok = qu.(string); !ok {
				continue
			}
		}
		if p.PartitionKey, ok = bytesParam(it); !ok {
			continue
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// ParseStatus parses a RateLimit field value. A value that is not a
// well-formed List of Items (RFC 9651) is an error, and nothing of it is
// read. A member that is well formed but says nothing readable (its value
// not a String; r missing, not an Integer or negative; t not an Integer
// or negative; pk not a Byte Sequence) is left out; parameters it does not
// know are ignored. A t beyond a year is no reset.
func ParseStatus(v string) ([]Status, error) {
	list, err := parseSFList(v)
	if err != nil {
		return nil, fmt.Errorf("RateLimit: %w", err)
	}
	var ss []Status
	for _, it := range list {
		name, ok := it.value.(string)
		if !ok {
			continue
		}
		s := Status{Policy: name}
		if s.Remaining, ok = intParam(it, "r"); !ok {
			continue
		}
		if t, has := it.param("t"); has {
			secs, ok := t.(int64)
			if !ok || secs < 0 {
				continue
			}
			if secs <= maxResetSeconds {
				s.Reset, s.HasReset = time.Duration(secs)*time.Second, true
			}
		}
		if s.PartitionKey, ok = bytesParam(it); !ok {
			continue
		}
		ss = append(ss, s)
	}
	return ss, nil
}

// intParam is the parameter key of it as a non-negative Integer that an
// int holds, and whether it is one.
func intParam(it sfItem, key string) (int, bool) {
	v, has := it.param(key)
	n, ok := v.(int64)
	if !has || !ok || n < 0 || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}

// bytesParam is the pk parameter of it, and whether it is absent or a
// Byte Sequence.
func bytesParam(it sfItem) ([]byte, bool) {
	v, has := it.param("pk")
	if !has {
		return nil, true
	}
	b, ok := v.([]byte)
	return b, ok
}

// fieldValue joins a field's lines with commas, as RFC 9110 combines
// them; "" when the field is absent.
func fieldValue(h http.Header, name string) string {
	return strings.Join(h.Values(name), ", ")
}

// readDraft reads an answer's RateLimit and RateLimit-Policy fields as
// the Limit of the window nearest exhaustion (the least share of its
// quota left), among the members that name a policy of requests with a
// quota above 0 and that leave no more than the quota. ok is false when
// either field is absent or malformed, or no member qualifies.
func readDraft(h http.Header) (Limit, bool) {
	status, err1 := ParseStatus(fieldValue(h, "RateLimit"))
	policies, err2 := ParsePolicies(fieldValue(h, "RateLimit-Policy"))
	if err1 != nil || err2 != nil {
		return Limit{}, false
	}
	var best Limit
	found := false
	for _, s := range status {
		for _, p := range policies {
			if p.Name != s.Policy || p.Unit != unitRequests || p.Quota <= 0 || s.Remaining > p.Quota {
				continue
			}
			l := Limit{Limit: p.Quota, Remaining: s.Remaining, Reset: s.Reset, HasReset: s.HasReset, Window: p.Window}
			if !found || float64(l.Remaining)/float64(l.Limit) < float64(best.Remaining)/float64(best.Limit) {
				best, found = l, true
			}
			break
		}
	}
	return best, found
}

// draftWait is the wait a 429's RateLimit field asks for: the longest t
// among its members with r=0 (0 when they state none); ok is false when
// no member says r=0. The policies are not needed: r=0 is enough.
func draftWait(h http.Header) (time.Duration, bool) {
	status, err := ParseStatus(fieldValue(h, "RateLimit"))
	if err != nil {
		return 0, false
	}
	wait, ok := time.Duration(0), false
	for _, s := range status {
		if s.Remaining == 0 {
			wait, ok = max(wait, s.Reset), true
		}
	}
	return wait, ok
}

// safer merges two readings of the same answer, the older triple's and
// the draft's: they agree, or the safer of each is kept (the smaller
// quota, the less remaining, the later reset), with the window the policy
// states.
func safer(legacy, draft Limit) Limit {
	l := Limit{
		Limit:     min(legacy.Limit, draft.Limit),
		Remaining: min(legacy.Remaining, draft.Remaining),
		Window:    draft.Window,
	}
	switch {
	case legacy.HasReset && draft.HasReset:
		l.Reset, l.HasReset = max(legacy.Reset, draft.Reset), true
	case legacy.HasReset:
		l.Reset, l.HasReset = legacy.Reset, true
	case draft.HasReset:
		l.Reset, l.HasReset = draft.Reset, true
	}
	l.Remaining = min(l.Remaining, l.Limit)
	return l
}
