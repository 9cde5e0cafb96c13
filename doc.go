// Package commet is the Go client of Commet's customers API (API version
// 2026-05-01): create, get, update, list, iterate and archive the customers
// you bill, and import them in bulk.
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
// A new client talks to the Sandbox environment, where no real money moves;
// pass WithEnvironment(Production) for live data. Keys start with "ck_"; an
// empty key falls back to the COMMET_API_KEY environment variable, and a key
// that is still empty or lacks the prefix is refused by NewClient before any
// request. A *Client is safe for concurrent use, and the package has no
// global state. Every method takes a context first and options last.
//
// # Customers
//
// Client.Customers has Create, Get, Update, Archive, List (one page), All
// (every customer, as an iterator), Pages (every page, for resumable
// exports), CreateBatch and Import. Every method that takes a customer ID
// accepts the Commet ID ("cus_...") or your own user ID; IDs are
// path-escaped, so an ID is a value and never reaches another endpoint.
//
// CreateCustomerParams.ID is your user ID: externalId on the wire, and
// Customer.ExternalID when read back (Customer.ID is Commet's ID). Create is
// idempotent on it: when a customer with that ID exists, the existing record
// comes back and nothing is duplicated, so it is safe to call on every
// sign-up. UpdateCustomerParams uses pointers: a nil field is left
// unchanged, Ptr("") clears a string, and an empty non-nil Metadata map is
// sent as {} to clear the metadata. Archive cannot be undone; archived
// customers stay readable and listed.
//
// # Errors
//
// Every non-2xx answer is an *APIError with the status, Commet's code and
// message, the request ID, and, for a validation failure, the rejected
// fields in FieldErrors. Both error shapes Commet uses (flat, and nested
// under "error") are read, and an HTML or empty body from a proxy still
// gives an *APIError with the status and a short snippet of the body.
// Error returns one short line. errors.Is classifies errors with the
// sentinels ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict,
// ErrRateLimited, ErrValidation and ErrServer. ErrValidation also matches
// every input or option refused before sending, in which case nothing was
// sent and the error is not an *APIError. A request or answer lost in
// transit, including an attempt that timed out, matches ErrNetwork; a 2xx
// answer that cannot be decoded, ErrBadResponse; server paging that cannot
// be followed, ErrPagination. A call ended by its context returns an error
// matching the context's error.
//
// # Retries and idempotency
//
// Failed attempts are retried as Commet documents: on 408, 429, 500, 502,
// 503, 504 and network failures (but not on TLS certificate errors), 3
// times by default (DefaultMaxRetries, WithMaxRetries), after an exponential
// backoff of 1 s doubling up to 8 s, each wait jittered down by up to half
// so that clients retrying together spread out (WithRetryBackoff). A
// Retry-After header, in seconds or as an HTTP date, is honoured up to
// 30 s; a 429 without one is not from the rate limiter and is not
// retried. WithTimeout bounds each attempt, and an attempt that times out
// is retried; the context bounds the whole call, attempts and waits
// included. Waits are timers in a select with the context: once it is done
// nothing more is sent or waited for.
//
// Every POST carries an Idempotency-Key: the caller's (WithIdempotencyKey)
// or 128 random bits from crypto/rand, made once per call. The same key and
// the same body are sent on every retry of that call, so a retried create
// never creates twice. PUTs (Update, Archive) are idempotent by nature.
//
// # Pagination
//
// List returns one Page with Data, HasMore and NextCursor; pass NextCursor
// back as ListCustomersParams.Cursor for the next page. All and Pages walk
// every page lazily: nothing is fetched until the loop runs, a break
// fetches nothing more, ranging again starts over, an error is yielded once
// and ends the loop, and a repeated cursor or HasMore without a cursor is
// an ErrPagination rather than an endless loop. They never change the
// caller's params. A zero Limit means pages of 100 (the fewest requests)
// for All and Pages, and Commet's default page size for List.
//
// Pages exposes each page's NextCursor, where an interrupted walk can
// resume: start again with that Cursor. The last page has no NextCursor and
// an empty Cursor starts from the first page, so keep a cursor only while
// HasMore is true. See examples/export.
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
// come back as Existed. See examples/migrate.
//
// # Options
//
// One Option type serves NewClient and every method; an option given to a
// method overrides the client's setting for that call only:
//
//	cust, err := client.Customers.Get(ctx, "user_123", commet.WithTimeout(2*time.Second))
//
// An invalid option is an error matching ErrValidation, from NewClient or
// from the call. WithEnvironment picks Sandbox or Production. WithBaseURL
// points the client at another host (a proxy, a local fake) under which
// /api/v1 is appended; it must be https, and plain http is accepted only
// for loopback hosts (localhost, 127.0.0.0/8, ::1). WithHTTPClient sends
// through your *http.Client; the SDK never modifies it, nor
// http.DefaultClient or http.DefaultTransport. WithAPIVersion pins the
// Commet-Version header (DefaultAPIVersion by default), WithHeader adds a
// header that the SDK does not set itself, and WithMaxRetries,
// WithRetryBackoff and WithTimeout tune the retries above.
// WithIdempotencyKey and WithResponseInto (which reads the status,
// headers, request ID and attempt count of a call) only make sense for one
// call: NewClient refuses them.
//
// # Testing
//
// Package commettest is an in-memory Commet server, in the spirit of
// net/http/httptest: commettest.NewServer starts one on a loopback port,
// and its Client method returns a client pointed at it.
//
//	srv := commettest.NewServer()
//	defer srv.Close()
//	client := srv.Client(commet.WithRetryBackoff(time.Millisecond, time.Millisecond))
//	srv.InjectFault(commettest.Fault{Status: 503}) // the next request fails once
//
// InjectFault makes requests fail with a status (and Retry-After), a delay
// or a dropped connection, so a test can prove its code survives them. The
// cmd/commet-fake binary serves the same fake for other languages:
//
//	go run ./cmd/commet-fake -addr 127.0.0.1:12111
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
