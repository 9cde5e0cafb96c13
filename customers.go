package commet

import (
	"cmp"
	"context"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-querystring/query"
)

// CustomersService manages customers: the people or businesses you bill.
// Get it from Client.Customers.
type CustomersService struct {
	client *Client
}

// Customer is a Commet customer.
type Customer struct {
	// ID is Commet's ID, "cus_...".
	ID             string `json:"id"`
	OrganizationID string `json:"organizationId"`
	// ExternalID is your own user ID, given as CreateCustomerParams.ID.
	ExternalID    string         `json:"externalId,omitempty"`
	Email         string         `json:"billingEmail"`
	FullName      string         `json:"fullName,omitempty"`
	Domain        string         `json:"domain,omitempty"`
	Website       string         `json:"website,omitempty"`
	Timezone      string         `json:"timezone,omitempty"`
	Language      string         `json:"language,omitempty"`
	Industry      string         `json:"industry,omitempty"`
	EmployeeCount string         `json:"employeeCount,omitempty"`
	Metadata      map[string]any `json:"metadata,omitempty"`
	// IsActive is false once the customer is archived.
	IsActive  bool      `json:"isActive"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Address is a billing address. Line1, City, PostalCode and Country (an ISO
// 3166-1 alpha-2 code such as "US") are required by Commet when an address
// is sent.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
}

// CreateCustomerParams are the fields of a new customer. Only Email is
// required.
type CreateCustomerParams struct {
	// Email is the billing email (billingEmail on the wire). Required.
	Email string `json:"billingEmail"`
	// ID is your own user ID (externalId on the wire). Create is idempotent
	// on it: creating an ID that exists returns the existing customer.
	ID       string         `json:"externalId,omitempty"`
	FullName string         `json:"fullName,omitempty"`
	Domain   string         `json:"domain,omitempty"`
	Website  string         `json:"website,omitempty"`
	Timezone string         `json:"timezone,omitempty"` // an IANA zone, e.g. "Europe/Paris"
	Language string         `json:"language,omitempty"`
	Industry string         `json:"industry,omitempty"`
	Address  *Address       `json:"address,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// UpdateCustomerParams are the fields to change; nil fields are left as
// they are. Ptr("") clears a string field. A nil Metadata leaves it alone;
// an empty non-nil map is sent as {}, which clears it.
type UpdateCustomerParams struct {
	Email    *string        `json:"billingEmail,omitempty"`
	FullName *string        `json:"fullName,omitempty"`
	Domain   *string        `json:"domain,omitempty"`
	Website  *string        `json:"website,omitempty"`
	Timezone *string        `json:"timezone,omitempty"`
	Language *string        `json:"language,omitempty"`
	Industry *string        `json:"industry,omitempty"`
	Address  *Address       `json:"address,omitempty"`
	Metadata map[string]any `json:"metadata,omitzero"`
}

// ListCustomersParams filter and page a list of customers. The zero value
// lists every customer, active or archived.
type ListCustomersParams struct {
	// Limit is the page size, 1 to 100; 0 lets Commet choose for List, and
	// means 100 (the fewest requests) for All and Pages.
	Limit int `url:"limit,omitempty"`
	// Cursor is the NextCursor of the previous page; empty for the first.
	Cursor string `url:"cursor,omitempty"`
	// Search matches email, name or external ID.
	Search string `url:"search,omitempty"`
	// IsActive, when set, keeps only active (true) or archived (false)
	// customers.
	IsActive *bool `url:"isActive,omitempty"`
}

// Ptr returns a pointer to v, for the optional fields of UpdateCustomerParams
// and ListCustomersParams.
func Ptr[T any](v T) *T { return &v }

// Create creates a customer and returns it. When params.ID is set and a
// customer with that ID exists, Create returns the existing customer
// instead: it is safe to call on every sign-up. The POST carries an
// Idempotency-Key (WithIdempotencyKey, or a random one), the same on every
// retry, so a retried request never creates two customers.
func (s *CustomersService) Create(ctx context.Context, params *CreateCustomerParams, opts ...Option) (*Customer, error) {
	if err := params.validate(""); err != nil {
		return nil, err
	}
	return s.one(ctx, request{method: http.MethodPost, path: "/customers", body: params}, opts)
}

// validate checks p before it is sent; prefix names the item of a batch in
// field names ("customers[3].").
func (p *CreateCustomerParams) validate(prefix string) error {
	if p == nil {
		return invalid(prefix+"billingEmail", "is required")
	}
	var errs fieldErrors
	if strings.TrimSpace(p.Email) == "" {
		errs.add(prefix+"billingEmail", "is required")
	}
	if p.ID != "" && strings.TrimSpace(p.ID) == "" {
		errs.add(prefix+"externalId", "is blank: leave ID empty or give your user ID")
	}
	checkText(&errs, prefix, map[string]string{
		"billingEmail": p.Email, "externalId": p.ID, "fullName": p.FullName, "domain": p.Domain,
		"website": p.Website, "timezone": p.Timezone, "language": p.Language, "industry": p.Industry,
	})
	p.Address.check(&errs, prefix)
	checkMetadata(&errs, prefix, p.Metadata)
	return errs.err()
}

// Get returns the customer with the given Commet ID ("cus_...") or your own
// user ID. A customer that does not exist is an error matching ErrNotFound.
func (s *CustomersService) Get(ctx context.Context, id string, opts ...Option) (*Customer, error) {
	path, err := customerPath(id)
	if err != nil {
		return nil, err
	}
	return s.one(ctx, request{method: http.MethodGet, path: path}, opts)
}

// Update changes the fields set in params on the customer with the given
// Commet ID or user ID, and returns the updated customer.
func (s *CustomersService) Update(ctx context.Context, id string, params *UpdateCustomerParams, opts ...Option) (*Customer, error) {
	path, err := customerPath(id)
	if err != nil {
		return nil, err
	}
	if err := params.validate(); err != nil {
		return nil, err
	}
	return s.one(ctx, request{method: http.MethodPut, path: path, body: params}, opts)
}

// Archive deactivates the customer with the given Commet ID or user ID and
// returns it. Archiving cannot be undone; archived customers stay readable.
func (s *CustomersService) Archive(ctx context.Context, id string, opts ...Option) (*Customer, error) {
	path, err := customerPath(id)
	if err != nil {
		return nil, err
	}
	return s.one(ctx, request{method: http.MethodPut, path: path, body: archiveBody}, opts)
}

var archiveBody = struct {
	IsActive bool `json:"isActive"`
}{false}

// validate checks p before it is sent.
func (p *UpdateCustomerParams) validate() error {
	if p == nil {
		return invalid("body", "UpdateCustomerParams are required")
	}
	var errs fieldErrors
	if p.Email != nil && strings.TrimSpace(*p.Email) == "" {
		errs.add("billingEmail", "cannot be cleared: Commet requires a billing email")
	}
	text := map[string]string{}
	for field, v := range map[string]*string{"billingEmail": p.Email, "fullName": p.FullName, "domain": p.Domain,
		"website": p.Website, "timezone": p.Timezone, "language": p.Language, "industry": p.Industry} {
		if v != nil {
			text[field] = *v
		}
	}
	checkText(&errs, "", text)
	p.Address.check(&errs, "")
	checkMetadata(&errs, "", p.Metadata)
	return errs.err()
}

// List returns one page of customers. Pass the page's NextCursor as
// params.Cursor for the next one, or use All or Pages to walk them all.
// A nil params lists the first page with Commet's defaults.
func (s *CustomersService) List(ctx context.Context, params *ListCustomersParams, opts ...Option) (*Page[Customer], error) {
	var p ListCustomersParams
	if params != nil {
		p = *params
	}
	var errs fieldErrors
	if p.Limit < 0 || p.Limit > maxPageSize {
		errs.add("limit", "must be between 1 and %d, or 0 for the default; got %d", maxPageSize, p.Limit)
	}
	checkText(&errs, "", map[string]string{"search": p.Search, "cursor": p.Cursor})
	if err := errs.err(); err != nil {
		return nil, err
	}
	q, err := query.Values(p)
	if err != nil {
		return nil, invalid("query", "cannot be encoded: %v", err)
	}
	// encoding/json appends into the capacity it finds: size it once.
	page := &Page[Customer]{Data: make([]Customer, 0, cmp.Or(p.Limit, 20))}
	err = s.client.do(ctx, request{method: http.MethodGet, path: "/customers", query: q,
		decode: func(b []byte) error { return decodePage(b, page) }}, opts)
	if err != nil {
		return nil, err
	}
	return page, nil
}

// maxPageSize is the largest page Commet serves.
const maxPageSize = 100

// Pages returns an iterator over the pages of customers matching params,
// from params.Cursor on. Each page's NextCursor is where a later call can
// resume (an export that crashed, say). See All for how the iterator
// behaves; Pages behaves the same, a page at a time.
func (s *CustomersService) Pages(ctx context.Context, params *ListCustomersParams, opts ...Option) iter.Seq2[*Page[Customer], error] {
	var p ListCustomersParams
	if params != nil {
		p = *params // a copy: the caller's params are never changed
	}
	if p.Limit == 0 {
		p.Limit = maxPageSize
	}
	return pages(p.Cursor, func(cursor string) (*Page[Customer], error) {
		p := p
		p.Cursor = cursor
		return s.List(ctx, &p, opts...)
	})
}

// All returns an iterator over every customer matching params, fetching
// pages as the loop needs them:
//
//	for c, err := range client.Customers.All(ctx, nil) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(c.ID)
//	}
//
// Nothing is fetched until the loop runs; ranging again starts over; a
// break fetches nothing more. An error is yielded once and ends the loop,
// including a server that repeats a cursor or claims more pages without
// one. opts apply to every page request.
func (s *CustomersService) All(ctx context.Context, params *ListCustomersParams, opts ...Option) iter.Seq2[*Customer, error] {
	return items(s.Pages(ctx, params, opts...))
}

// one runs a request whose answer is a single customer.
func (s *CustomersService) one(ctx context.Context, r request, opts []Option) (*Customer, error) {
	var c *Customer
	r.decode = func(b []byte) (err error) { c, err = decodeCustomer(b); return err }
	if err := s.client.do(ctx, r, opts); err != nil {
		return nil, err
	}
	return c, nil
}

// customerPath returns the escaped path of one customer. The ID is a value,
// never a way to reach another path: "../x" becomes "..%2Fx".
func customerPath(id string) (string, error) {
	switch {
	case strings.TrimSpace(id) == "":
		return "", invalid("id", "is empty: give a Commet ID or your own user ID")
	case !utf8.ValidString(id):
		return "", invalid("id", "is not valid UTF-8")
	}
	escaped := url.PathEscape(id)
	if escaped == "." || escaped == ".." { // dot segments are resolved away by servers and proxies
		escaped = strings.ReplaceAll(escaped, ".", "%2E")
	}
	return "/customers/" + escaped, nil
}
