package commettest

import (
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"
)

// customer is a stored customer, in the wire form of the contract. It is
// the fake's own type, not the SDK's, so a bug in one cannot hide in the
// other.
type customer struct {
	ID             string         `json:"id"`
	OrganizationID string         `json:"organizationId"`
	ExternalID     string         `json:"externalId,omitempty"`
	BillingEmail   string         `json:"billingEmail"`
	FullName       string         `json:"fullName,omitempty"`
	Domain         string         `json:"domain,omitempty"`
	Website        string         `json:"website,omitempty"`
	Timezone       string         `json:"timezone,omitempty"`
	Language       string         `json:"language,omitempty"`
	Industry       string         `json:"industry,omitempty"`
	EmployeeCount  string         `json:"employeeCount,omitempty"`
	Metadata       map[string]any `json:"metadata,omitempty"`
	IsActive       bool           `json:"isActive"`
	CreatedAt      time.Time      `json:"createdAt"`
	UpdatedAt      time.Time      `json:"updatedAt"`

	address *address // request-only in the contract: kept, never answered
	seq     int      // creation order, from 1
}

// store holds the customers of the fake's one organization. Maps and
// stored values are replaced, never changed in place, so a copy taken under
// the lock can be encoded after it is released.
type store struct {
	mu    sync.Mutex
	all   []*customer // in creation order: all[i].seq == base+i+1
	base  int         // customers created before the last reset
	byID  map[string]*customer
	byExt map[string]*customer
}

func newStore() *store {
	return &store{byID: map[string]*customer{}, byExt: map[string]*customer{}}
}

// reset forgets every customer. Positions go on from where they were, so
// a cursor issued before the reset is invalid after it.
func (s *store) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base += len(s.all)
	s.all, s.byID, s.byExt = nil, map[string]*customer{}, map[string]*customer{}
}

// create stores c unless a customer has its external ID; it returns the
// stored customer and whether it is new.
func (s *store) create(c customer, newID func() string) (customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ExternalID != "" {
		if old, ok := s.byExt[c.ExternalID]; ok {
			return *old, false
		}
	}
	c.ID = newID()
	c.seq = s.base + len(s.all) + 1
	stored := &c
	s.all = append(s.all, stored)
	s.byID[c.ID] = stored
	if c.ExternalID != "" {
		s.byExt[c.ExternalID] = stored
	}
	return c, true
}

// lookup finds a customer by Commet ID first, then by external ID.
func (s *store) lookup(id string) *customer {
	if c, ok := s.byID[id]; ok {
		return c
	}
	return s.byExt[id]
}

func (s *store) get(id string) (customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookup(id)
	if c == nil {
		return customer{}, false
	}
	return *c, true
}

// update applies change to a copy of the customer, and stores the copy if
// change accepts it. found reports whether the customer exists.
func (s *store) update(id string, change func(*customer) (ok bool)) (c customer, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored := s.lookup(id)
	if stored == nil {
		return customer{}, false
	}
	next := *stored
	if change(&next) {
		*stored = next // all, byID and byExt share the pointer
	}
	return next, true
}

// listQuery is a parsed list request.
type listQuery struct {
	limit    int
	after    int   // the seq of the last customer of the previous page
	isActive *bool // nil: all
	search   string
}

func (q *listQuery) matches(c *customer) bool {
	if q.isActive != nil && c.IsActive != *q.isActive {
		return false
	}
	if q.search == "" {
		return true
	}
	return containsFold(c.BillingEmail, q.search) || containsFold(c.FullName, q.search) ||
		containsFold(c.ExternalID, q.search)
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// list returns one page in creation order, starting after q.after. The
// cursor points at a position, not a snapshot: customers created later
// show up in later pages. Without filters a page costs O(limit).
func (s *store) list(q listQuery) (page []customer, hasMore bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	page = make([]customer, 0, q.limit)
	for i := max(q.after-s.base, 0); i < len(s.all); i++ {
		c := s.all[i]
		if !q.matches(c) {
			continue
		}
		if len(page) == q.limit {
			return page, true
		}
		page = append(page, *c)
	}
	return page, false
}

func (s *store) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}

// positions returns the range of valid positions, base+1 to base+len.
func (s *store) positions() (first, last int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base + 1, s.base + len(s.all)
}

const cursorPrefix = "pos:"

// encodeCursor makes the opaque cursor that resumes after seq.
func encodeCursor(seq int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(seq)))
}

// decodeCursor reads a cursor; ok is false for anything this server did
// not issue, or issued before a reset: positions outside first to last.
func decodeCursor(cursor string, first, last int) (seq int, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !strings.HasPrefix(string(raw), cursorPrefix) {
		return 0, false
	}
	seq, err = strconv.Atoi(strings.TrimPrefix(string(raw), cursorPrefix))
	if err != nil || seq < first || seq > last {
		return 0, false
	}
	return seq, true
}
