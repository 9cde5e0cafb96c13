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
// Get it from [Client].Customers.
type CustomersService struct {
	client *Client
}

// Customer is a Commet customer, as Commet returns it. Two IDs name it:
// ID is Commet's own ("cus_..."), ExternalID is yours (the user ID you gave
// as [CreateCustomerParams].ID). Every method that takes a customer ID
// accepts either.
type Customer struct {
	// ID is the ID Commet gave the customer, "cus_..." (id on the wire).
	ID string `json:"id"`
	// OrganizationID is the Commet organization the customer belongs to
	// (organizationId), the one of the API key.
	OrganizationID string `json:"organizationId"`
	// ExternalID is your own ID for the customer (externalId on the wire):
	// what you gave as [CreateCustomerParams].ID. Empty if you gave none.
	ExternalID string `json:"externalId,omitempty"`
	// Email is the billing email (billingEmail on the wire).
	Email string `json:"billingEmail"`
	// FullName is the customer's name (fullName).
	FullName string `json:"fullName,omitempty"`
	// Domain is the customer's web domain, such as "acme.com".
	Domain string `json:"domain,omitempty"`
	// Website is the customer's website URL.
	Website string `json:"website,omitempty"`
	// Timezone is an IANA time zone name, such as "Europe/Paris".
	Timezone string `json:"timezone,omitempty"`
	// Language is the customer's language, such as "en".
	Language string `json:"language,omitempty"`
	// Industry is free text, such as "software".
	Industry string `json:"industry,omitempty"`
	// EmployeeCount is a size band set in Commet, such as "11-50"
	// (employeeCount); the API does not set it.
	EmployeeCount string `json:"employeeCount,omitempty"`
	// Metadata holds your own key-value pairs. Numbers come back as
	// float64, exactly as Commet stores them (see [CreateCustomerParams]).
	Metadata map[string]any `json:"metadata,omitempty"`
	// IsActive is false once the customer is archived (isActive).
	IsActive bool `json:"isActive"`
	// CreatedAt is when Commet created the customer, by Commet's clock.
	CreatedAt time.Time `json:"createdAt"`
	// UpdatedAt is when the customer last changed, by Commet's clock.
	UpdatedAt time.Time `json:"updatedAt"`
}

// Address is a billing address. It is sent with a create or an update but
// Commet does not return it. Line1, City, PostalCode and Country are
// required by Commet when an address is sent.
type Address struct {
	// Line1 is the street address (line1). Required.
	Line1 string `json:"line1"`
	// Line2 is the apartment, suite or floor (line2).
	Line2 string `json:"line2,omitempty"`
	// City is required.
	City string `json:"city"`
	// State is the state, province or region.
	State string `json:"state,omitempty"`
	// PostalCode is the ZIP or postal code (postalCode). Required.
	PostalCode string `json:"postalCode"`
	// Country is an officially assigned ISO 3166-1 alpha-2 code such as
	// "US" or "GB" (not "UK"). Required. Any letter case, with white space
	// around it, is taken: it is sent trimmed and upper-cased (" gb" as
	// "GB"), the form Commet's contract gives, so that what Validate takes
	// Commet takes too, whatever case it matches in. Only the JSON sent
	// changes; your [Address] is left as it is.
	Country string `json:"country"`
}

// CreateCustomerParams are the fields of a new customer. Only Email is
// required. Validate lists the checks Commet makes on them, which Create,
// CreateBatch and Import make before sending. Every string must be valid
// UTF-8, and metadata integers must
// lie within ±2^53: Commet stores numbers as 64-bit floats, so a larger
// integer would change silently; send it as a string. Both are refused
// before sending, with [ErrValidation]. The integer check sees the Go values
// given (an int64, a uint64, a json.Number from a decoder with UseNumber):
// metadata decoded with plain json.Unmarshal was already rounded to
// float64, before any check could see it.
type CreateCustomerParams struct {
	// Email is the billing email (billingEmail on the wire). Required:
	// one address alone, with a dot in its domain ("ada@example.com",
	// "ada+billing@example.com"; not "ada@example" nor "Ada <ada@...>").
	Email string `json:"billingEmail"`
	// ID is your own ID for the customer, typically your user ID
	// (externalId on the wire; it comes back as [Customer].ExternalID, while
	// Customer.ID is Commet's). Create is idempotent on it: creating an ID
	// that exists returns the existing customer. At most 255 characters
	// (Unicode code points), and not blank.
	ID string `json:"externalId,omitempty"`
	// FullName is the customer's name (fullName).
	FullName string `json:"fullName,omitempty"`
	// Domain is the customer's web domain, such as "acme.com".
	Domain string `json:"domain,omitempty"`
	// Website is the customer's website URL.
	Website string `json:"website,omitempty"`
	// Timezone is an IANA time zone name, such as "Europe/Paris" or "UTC",
	// in any letter case; Go's "Local" is not one.
	Timezone string `json:"timezone,omitempty"`
	// Language is the customer's language, such as "en".
	Language string `json:"language,omitempty"`
	// Industry is free text, such as "software".
	Industry string `json:"industry,omitempty"`
	// Address is the billing address; Commet keeps it but does not return it.
	Address *Address `json:"address,omitempty"`
	// Metadata holds your own key-value pairs, any JSON.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// UpdateCustomerParams are the fields to change; nil fields are left as
// they are. Ptr("") clears an optional string field; Email cannot be
// cleared (Commet requires one), and Ptr("") for it is refused before
// sending. A nil Metadata leaves it alone; an empty non-nil map is sent as
// {}, which clears it. The rules of [CreateCustomerParams] on strings and
// numbers apply.
type UpdateCustomerParams struct {
	// Email is the new billing email (billingEmail on the wire).
	Email *string `json:"billingEmail,omitempty"`
	// FullName is the new name (fullName).
	FullName *string `json:"fullName,omitempty"`
	// Domain is the new web domain.
	Domain *string `json:"domain,omitempty"`
	// Website is the new website URL.
	Website *string `json:"website,omitempty"`
	// Timezone is the new IANA time zone name.
	Timezone *string `json:"timezone,omitempty"`
	// Language is the new language.
	Language *string `json:"language,omitempty"`
	// Industry is the new industry.
	Industry *string `json:"industry,omitempty"`
	// Address replaces the billing address.
	Address *Address `json:"address,omitempty"`
	// Metadata replaces the metadata.
	Metadata map[string]any `json:"metadata,omitzero"`
}

// ListCustomersParams filter and page a list of customers. The zero value
// lists every customer, active or archived.
type ListCustomersParams struct {
	// Limit is the page size, 1 to 100; 0 lets Commet choose for List, and
	// means 100 (the fewest requests) for All and Pages.
	Limit int `url:"limit,omitempty"`
	// Cursor is the NextCursor of a previous page; empty for the first.
	Cursor string `url:"cursor,omitempty"`
	// Search matches email, name or external ID.
	Search string `url:"search,omitempty"`
	// IsActive, when set, keeps only active (true) or archived (false)
	// customers.
	IsActive *bool `url:"isActive,omitempty"`
}

// Ptr returns a pointer to v, for the optional fields of [UpdateCustomerParams]
// and [ListCustomersParams].
func Ptr[T any](v T) *T { return &v }

// CreateCustomerResult is what Create did: the customer, and whether it is
// new ([OutcomeCreated]), an existing active customer with the same ID
// ([OutcomeExisted]), or an existing archived one ([OutcomeArchived]), which a
// sign-up should not treat as a working account.
type CreateCustomerResult struct {
	Customer
	// Outcome is [OutcomeCreated], [OutcomeExisted] or [OutcomeArchived].
	Outcome Outcome
}

// Create creates a customer. When params.ID is set and a customer with that
// ID exists, Create leaves it as it is and returns it, with [Outcome] telling
// what the answer proves:
//
//   - [OutcomeArchived] when the customer is archived (isActive false),
//     whatever the status: no create makes an archived customer.
//   - [OutcomeExisted] when its CreatedAt lies before the request left, on
//     Commet's clock, whatever the status. Create places the moment the
//     request left on Commet's clock with the answer's Date header, which
//     bounds the offset between the clocks from both sides (Date has whole
//     seconds; see the contract's "Telling a new customer from an existing
//     one").
//   - Otherwise the status decides, since nothing else can: 201 is
//     [OutcomeCreated] and any other success OutcomeExisted. Commet does not
//     document the status of an idempotent create, so a customer created
//     within the clocks' uncertainty before the request (about a second
//     and a round trip) is taken at the status's word.
//
// Create is safe to call on every sign-up. The POST carries an
// Idempotency-Key ([WithIdempotencyKey], or a random one), the same on every
// retry, so a retried request never creates two customers.
func (s *CustomersService) Create(ctx context.Context, params *CreateCustomerParams, opts ...CallOption) (*CreateCustomerResult, error) {
	if err := params.validate(""); err != nil {
		return nil, err
	}
	var res *CreateCustomerResult
	clock := new(callClock)
	err := s.client.do(ctx, request{op: "Customers.Create", method: http.MethodPost, path: "/customers", route: "/customers", body: params,
		decode: func(status int, body []byte) error {
			c, err := decodeCustomer(body)
			if err != nil {
				return err
			}
			res = &CreateCustomerResult{Customer: *c, Outcome: createOutcome(c, status, clock)}
			return nil
		}, clock: clock}, opts)
	return res, err
}

// Get returns the customer with the given Commet ID ("cus_...") or your own
// ID. A customer that does not exist is an error matching [ErrNotFound].
func (s *CustomersService) Get(ctx context.Context, id string, opts ...CallOption) (*Customer, error) {
	path, err := customerPath(id)
	if err != nil {
		return nil, err
	}
	return s.one(ctx, request{op: "Customers.Get", method: http.MethodGet, path: path, route: customerRoute}, opts)
}

// Update changes the fields set in params on the customer with the given
// Commet ID or your own ID, and returns the updated customer.
func (s *CustomersService) Update(ctx context.Context, id string, params *UpdateCustomerParams, opts ...CallOption) (*Customer, error) {
	path, err := customerPath(id)
	if err != nil {
		return nil, err
	}
	if err := params.validate(); err != nil {
		return nil, err
	}
	return s.one(ctx, request{op: "Customers.Update", method: http.MethodPut, path: path, route: customerRoute, body: params}, opts)
}

// Archive deactivates the customer with the given Commet ID or your own ID
// and returns it. Archiving cannot be undone; archived customers stay
// readable and listed.
func (s *CustomersService) Archive(ctx context.Context, id string, opts ...CallOption) (*Customer, error) {
	path, err := customerPath(id)
	if err != nil {
		return nil, err
	}
	return s.one(ctx, request{op: "Customers.Archive", method: http.MethodPut, path: path, route: customerRoute, body: archiveBody}, opts)
}

var archiveBody = struct {
	IsActive bool `json:"isActive"`
}{false}

// maxPageSize is the largest page Commet serves.
const maxPageSize = 100

// List returns one page of customers. Pass the page's NextCursor as
// params.Cursor for the next one, or use All or Pages to walk them all.
// A nil params lists the first page with Commet's defaults.
func (s *CustomersService) List(ctx context.Context, params *ListCustomersParams, opts ...CallOption) (*Page[Customer], error) {
	p := valueOf(params)
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
	page := new(Page[Customer])
	err = s.client.do(ctx, request{op: "Customers.List", method: http.MethodGet, path: "/customers", route: "/customers", query: q,
		decode: func(_ int, body []byte) error { return decodePage(body, page) }}, opts)
	if err != nil {
		return nil, err
	}
	return page, nil
}

// Pages returns an iterator over the pages of customers matching params,
// from params.Cursor on. Each page's NextCursor is where a later call can
// resume (an export that crashed, say). See All for how the iterator
// behaves; Pages behaves the same, a page at a time. opts apply to every
// page request.
func (s *CustomersService) Pages(ctx context.Context, params *ListCustomersParams, opts ...Option) iter.Seq2[*Page[Customer], error] {
	p := valueOf(params) // a copy: the caller's params are never changed
	p.Limit = cmp.Or(p.Limit, maxPageSize)
	callOpts := callOptions(opts)
	return pages(p.Cursor, func(cursor string) (*Page[Customer], error) {
		p := p
		p.Cursor = cursor
		return s.List(ctx, &p, callOpts...)
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
// including [ErrPagination] for paging that cannot be followed (see it).
// opts apply to every page request.
func (s *CustomersService) All(ctx context.Context, params *ListCustomersParams, opts ...Option) iter.Seq2[*Customer, error] {
	return items(s.Pages(ctx, params, opts...))
}

// one runs a request whose answer is a single customer.
func (s *CustomersService) one(ctx context.Context, r request, opts []CallOption) (*Customer, error) {
	var c *Customer
	r.decode = func(_ int, body []byte) (err error) { c, err = decodeCustomer(body); return err }
	if err := s.client.do(ctx, r, opts); err != nil {
		return nil, err
	}
	return c, nil
}

// customerRoute is the template of customerPath, for telemetry.
const customerRoute = "/customers/{id}"

// customerPath returns the escaped path of one customer. The ID is a value,
// never a way to reach another path: "../x" becomes "..%2Fx".
func customerPath(id string) (string, error) {
	switch {
	case strings.TrimSpace(id) == "":
		return "", invalid("id", "is empty: give a Commet ID or your own ID")
	case !utf8.ValidString(id):
		return "", invalid("id", "is not valid UTF-8")
	}
	escaped := url.PathEscape(id)
	if escaped == "." || escaped == ".." { // dot segments are resolved away by servers and proxies
		escaped = strings.ReplaceAll(escaped, ".", "%2E")
	}
	return "/customers/" + escaped, nil
}

// valueOf returns a copy of *p, or the zero value for a nil p: a method
// never changes the params it was given.
func valueOf[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}
