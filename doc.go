// Package commet is the Go client of Commet's customers API (API version
// 2026-05-01): create, get, update, list, iterate and archive the customers
// you bill, and import or export them in bulk.
//
// # Quick start
//
//	client, err := commet.NewClient("") // the key comes from COMMET_API_KEY
//	if err != nil {
//		return err
//	}
//	cust, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{
//		Email: "billing@acme.com",
//		ID:    "user_123", // your own user ID
//	})
//
// A new client talks to the Sandbox environment; pass
// WithEnvironment(Production) for live data. Keys start with "ck_"; a key
// without that prefix, or none at all, is refused by NewClient before any
// request. A *Client is safe for concurrent use and there is no global
// state.
//
// # Customers
//
// Client.Customers has Create, Get, Update, Archive, List (one page), All
// (every customer, as an iterator), Pages (every page, for resumable
// exports), CreateBatch and Import. Every method that takes a customer ID
// accepts the Commet ID ("cus_...") or your own user ID; IDs are
// path-escaped, so an ID can never reach another endpoint.
//
// Create is idempotent on CreateCustomerParams.ID: when a customer with
// that ID exists, the existing record comes back and nothing is duplicated,
// so it is safe to call on every sign-up. UpdateCustomerParams uses
// pointers: a nil field is left unchanged, Ptr("") clears a string, and an
// empty non-nil Metadata map is sent as {} to clear the metadata. Archive
// cannot be undone; archived customers stay readable.
//
// # Errors
//
// Every non-2xx answer is an *APIError with the status, Commet's code and
// message, the request ID, and for a validation failure the rejected fields
// in FieldErrors. Both error shapes Commet uses are read, and an HTML or
// empty body from a proxy still gives an *APIError with the status and a
// short snippet. errors.Is classifies errors with the sentinels
// ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrRateLimited,
// ErrValidation (also every input refused before sending, which then sends
// nothing) and ErrServer. A request or answer lost in transit matches
// ErrNetwork, a 2xx answer that cannot be decoded ErrBadResponse, and
// server paging that would loop ErrPagination.
//
// # Retries and idempotency
//
// Calls are retried as Commet documents: on 408, 429, 500, 502, 503, 504
// and network failures, 3 times by default (WithMaxRetries), after an
// exponential backoff from 1 s doubling up to 8 s, each wait jittered
// down by up to half (WithRetryBackoff). A Retry-After header, in seconds
// or as an HTTP date, is honoured up to 30 s; a 429 without one is not
// from the rate limiter and is not retried. Waits are timers in a select
// with the context: once ctx is done nothing more is sent or waited for,
// and a deadline that falls during a wait ends the call at the deadline.
// WithTimeout bounds each attempt; ctx bounds the whole call.
//
// Every POST carries an Idempotency-Key, the caller's (WithIdempotencyKey)
// or 128 random bits from crypto/rand, and the same key on every retry of
// that call, with the body re-sent in full, so a retried create never
// creates twice.
//
// # Pagination
//
// List returns one Page with Data, HasMore and NextCursor. All and Pages
// walk every page lazily: nothing is fetched until the loop runs, a break
// fetches nothing more, ranging again starts over, an error is yielded
// once and ends the loop, and a repeated cursor or HasMore without a
// cursor is an ErrPagination rather than an endless loop. They never
// change the caller's params; a zero Limit means pages of 100 (for List it
// means Commet's default). Pages exposes each page's NextCursor, where an
// interrupted export can resume.
//
// # Migrations
//
// CreateBatch creates up to MaxBatchSize customers in one request; items
// succeed or fail one by one. Import takes an iterator of any length,
// sends batches concurrently (ImportParams.Concurrency), optionally capped
// to a rate, pauses every worker when Commet answers 429 with
// Retry-After, and reports each item as Created, Existed or Failed. It
// streams, so a million customers take no more memory than a thousand, and
// it is safe to re-run after a crash: customers created by the first run
// come back as Existed. See examples/migrate and examples/export.
//
// # Options
//
// One Option type serves NewClient and every method; an option given to a
// method applies to that call only. WithBaseURL accepts https, and plain
// http only for loopback hosts (a local fake). WithHTTPClient sends through
// your *http.Client; the SDK never modifies it nor http.DefaultClient or
// http.DefaultTransport. WithHeader adds headers, WithAPIVersion pins
// Commet-Version, and WithResponseInto reads the status, headers, request
// ID and attempt count of a call. WithIdempotencyKey and WithResponseInto
// only make sense per call: NewClient refuses them.
//
// # Testing
//
// Package commettest is an in-memory Commet server: commettest.NewServer
// starts one on a loopback port and its Client method returns a client
// pointed at it. It injects faults (a status with Retry-After, a delay, a
// dropped connection) so you can prove your code survives them. The
// cmd/commet-fake binary serves the same fake for other languages.
//
// # Logging and secrets
//
// WithLogger logs one Debug record per attempt: method, path, status,
// attempt, request ID and duration. Records never hold headers, bodies or
// query strings, which carry people's emails and addresses. The API key is
// never in an error, a log record or a printed Client: fmt prints it
// redacted whatever the verb. On a redirect to another host, the key is
// not forwarded.
package commet
