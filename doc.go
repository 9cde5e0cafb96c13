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
//	res, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{
//		Email: "billing@acme.com",
//		ID:    "user_123", // your own user ID
//	})
//
// A client sends every request to https://commet.co/api/v1 ([DefaultBaseURL]),
// Commet's one host for live and sandbox data alike: the API key decides
// where the data lives. A key belongs to one organization and one
// environment, and a sandbox key ("ck_sandbox_...") only ever reaches
// sandbox data. [WithBaseURL] names another host, such as a proxy or a
// commettest server (the quick start runs on one when it has no key).
// Keys start with "ck_"; an
// empty key falls back to the COMMET_API_KEY environment variable, and a key
// that is still empty, lacks the prefix or holds characters a header cannot
// carry is refused by [NewClient] before any request. A *[Client] is safe for
// concurrent use, and the package has no global state. Every method takes a
// context first and options last.
//
// # Customers
//
// [Client].Customers has Create, Get, Update, Archive, List (one page), All
// (every customer, as an iterator), Pages (every page, for resumable
// exports), CreateBatch and Import.
//
// Two IDs name a customer. [Customer].ID is Commet's ("cus_..."); your own,
// given as [CreateCustomerParams].ID, is externalId on the wire and comes back
// as Customer.ExternalID. Every method that takes a customer ID accepts
// either; IDs are path-escaped, so an ID is a value and never reaches
// another endpoint.
//
// Create is idempotent on your ID: when a customer with that ID exists, it
// is left as it is and comes back, and nothing is duplicated, so Create is
// safe to call on every sign-up. Its result says what it did, by what the
// answer proves: [OutcomeArchived] for an archived customer, which Create
// does not reopen (a sign-up should not treat it as a working account);
// [OutcomeExisted] for one created before the request left, on Commet's
// clock; and otherwise, where only the status can tell, [OutcomeCreated] for
// a 201 and OutcomeExisted for a 200 (see [CustomersService.Create]).
//
// [UpdateCustomerParams] uses pointers: a nil field is left unchanged, Ptr("")
// clears an optional string, and an empty non-nil Metadata map is sent as {}
// to clear the metadata; the email cannot be cleared. Archive cannot be
// undone; archived customers stay readable and listed.
//
// Every string sent must be valid UTF-8 (encoding/json would rewrite the
// rest to U+FFFD, so two Latin-1 IDs could become one customer), and
// metadata integers must lie within ±2^53, since Commet stores numbers as
// 64-bit floats: both are refused before sending rather than changed on the
// way. The check sees the Go values you pass: an int64, a uint64 or a
// json.Number (from a decoder with UseNumber). A number already decoded
// with plain json.Unmarshal was rounded to a float64 on the way in, and no
// check can see what it was. Metadata numbers read back are float64.
//
// # Errors
//
// Every answer that is not a success is an *[APIError] with the status,
// Commet's code and message, and the request ID. Both error shapes Commet
// uses (flat, and nested under "error") are read, and an HTML or empty body
// from a proxy still gives an *APIError with the status and a short snippet.
// Error returns one line, safe to log: control characters are escaped, the
// message is cut short (Message keeps it whole), and text from the server
// never holds the API key, which is redacted from it.
//
// Data refused for a field reads one way, whoever refused it: errors.As
// finds a *[ValidationError], whose Fields are keyed by wire name
// ("billingEmail", "address.country"), in a check made before sending, in an
// *[APIError] of a validation failure, and in a *[BatchItemError].
//
// errors.Is classifies every error with a sentinel: [ErrUnauthorized],
// [ErrForbidden], [ErrNotFound], [ErrConflict] and [ErrRateLimited] (401, 403, 404,
// 409, 429); [ErrValidation] (data refused, here or by Commet); [ErrBadRequest]
// (another 4xx); [ErrServer] (5xx and 408); [ErrNetwork] (no answer arrived);
// [ErrBadResponse] (an answer the SDK cannot use: a 2xx whose body is not
// what the operation expects, a body over 8 MiB, a redirected write, an
// unexpected status); [ErrPagination] (paging that cannot be followed); and
// [ErrInvalidConfig] (a key, option or setting the SDK refuses: a bug in the
// calling code, not bad data). Two more say what became of a write:
// [ErrOutcomeUnknown] (it may have been done though no answer says so: its
// answer never came, or came unreadable) and [ErrNotSent] (nothing was done:
// no request left, or every answer was a 429 of the rate limiter); each is
// matched together with what is known of the call, never both at once. A call
// ended by its context returns an error matching the context's error, its
// cause, and the last answer that came. A 404 endpoint_not_available or a
// 410 endpoint_deprecated (an endpoint the resolved API version lacks) is
// ErrBadRequest, never ErrNotFound; a 2xx in another API version's shapes
// is ErrBadResponse, whose message names that likely cause.
//
// # Retries and idempotency
//
// Failed attempts are retried as Commet documents: on 408, 429, 500, 502,
// 503, 504, a 409 idempotency_in_progress, and failures to get an answer
// (but not on TLS certificate errors, nor on an answer the SDK cannot use),
// 3 times by default ([WithMaxRetries]), after an exponential backoff of 1 s
// doubling up to 8 s, each wait jittered down by up to half so that clients
// retrying together spread out ([WithRetryBackoff]). A Retry-After header, in
// seconds or as an HTTP date, is honoured up to 30 s; a server that asks for
// longer ends the call at once, with its own value in [APIError].RetryAfter
// for the caller to pass on or schedule. A 429 without Retry-After (nor
// RateLimit-Remaining: 0, nor the draft's RateLimit with r=0, which ask
// for their reset) is not from the rate limiter and is not retried. Each attempt is bounded by
// [DefaultTimeout] (30 s; [WithTimeout]), and an attempt that times out is
// retried; the context bounds the whole call, attempts and waits included.
// Waits are timers in a select with the context: once it is done nothing
// more is sent or waited for.
//
// A Client's calls share what their answers say of the rate limit
// ([WithSharedPacing]; on unless turned off): a 429 seen by one holds
// them all for its Retry-After and then lets them go spread at the pace
// the answers bear out, RateLimit-* headers seen by one pace the others,
// and a new client's calls start two at a time, doubling with each round
// trip that shows room, until the answers show plenty of room and pacing
// costs next to nothing. A call waits its turn as long as its context
// allows, and then fails with the context's error and [ErrNotSent]. It is
// one Client's pacing: processes that share an API key share its limit
// without knowing of each other, and each needs a share of it of its own
// (docs/pacing.md says what a fleet needs).
//
// Every POST carries an Idempotency-Key: the caller's ([WithIdempotencyKey])
// or 128 random bits from crypto/rand, made once per call. The same key and
// the same body are sent on every retry of that call, so a retried create
// never creates twice. PUTs (Update, Archive) are idempotent by nature.
//
// A write is never redirected: net/http would follow a 301 or 302 to a PUT
// as a GET, turning an update into a read that succeeds. A redirected POST
// or PUT fails with [ErrBadResponse] and the redirect's status, and nothing
// is sent to its target. A GET follows at most 10 redirects, and the key is
// never forwarded to another host.
//
// # Pagination
//
// List returns one [Page] with Data, HasMore and NextCursor; pass NextCursor
// back as [ListCustomersParams].Cursor for the next page. All and Pages walk
// every page lazily: nothing is fetched until the loop runs, a break
// fetches nothing more, ranging again starts over, an error is yielded once
// and ends the loop, and paging that cannot be followed is an [ErrPagination]
// rather than an endless loop. An answer that is not a page is an
// [ErrBadResponse], never an empty last page. They never change the caller's
// params. A zero Limit means pages of 100 (the fewest requests) for All and
// Pages, and Commet's default page size for List.
//
// Pages exposes each page's NextCursor, where an interrupted walk can
// resume: start again with that Cursor. The last page has no NextCursor and
// an empty Cursor starts from the first page, so keep a cursor only while
// HasMore is true. See examples/export.
//
// # Migrations
//
// CreateBatch creates up to [MaxCustomerBatchSize] customers in one request;
// items succeed or fail one by one. Import takes an iterator of any length,
// sends it in concurrent batches, paced to Commet's rate limit, and reports
// each item once with its [Outcome], from what Commet's answers prove; an
// item whose answer was lost is [ErrOutcomeUnknown], never a failure, and
// [ImportCustomersParams].Since makes the last run's report exact after any
// stop, a kill -9 included. It keeps about 30 bytes for each distinct ID
// (outside the Go heap) and streams the rest: examples/migrate peaks at
// 26 MB of resident memory for 100,000 customers and 55 MB for a
// million, where a raw net/http loop sending the same requests takes 13.
// It is safe to re-run after a crash: nothing is created twice; a run
// started from the last run's checkpoint ([ImportSummary].Settled, as
// ImportCustomersParams.Resume) sends only what was left.
// ImportCustomersParams.Stop stops it gracefully, ending every wait; a
// panic in a [Middleware] or a callback reaches the caller's goroutine as a
// [PanicError]. See examples/migrate, and the command line cmd/commet.
//
// # Options
//
// Options come in three kinds, so that an option cannot reach a place where
// it makes no sense. An [Option] ([WithMaxRetries], [WithRetryBackoff],
// [WithTimeout], [WithHeader]) works everywhere: given to [NewClient] it sets the
// client's default, given to a method it overrides it for that call. A
// [ClientOption] is an Option or one only a client carries ([WithBaseURL],
// [WithInsecureHTTP], [WithHTTPClient], [WithAPIVersion], [WithLogger],
// [WithMiddleware], [WithHooks]). A [CallOption] is an Option or one that only
// makes sense for one request ([WithIdempotencyKey], [WithResponseInto]): the
// methods that send one request take them; All, Pages and Import, which
// send many, do not, so the compiler refuses them there.
//
//	cust, err := client.Customers.Get(ctx, "user_123", commet.WithTimeout(2*time.Second))
//
// An invalid option is an error matching [ErrInvalidConfig], from [NewClient] or
// from the call. [WithBaseURL] points the client at another host (a proxy, a
// local fake) under which /api/v1 is appended; it must be https, and plain
// http is accepted for loopback hosts, or for any host with
// [WithInsecureHTTP] (a commet-fake container; the key then travels in
// clear). [WithHTTPClient] sends through your *http.Client; the SDK never
// modifies it, nor http.DefaultClient or http.DefaultTransport.
//
// [WithResponseInto] fills a [Response]: the final status, headers and request
// ID of a call, the number of requests it sent, and the raw JSON of a
// success, where a field Commet added after this SDK was written can be
// read. [WithMiddleware] wraps every attempt, retries included, for tracing,
// metrics or an auth proxy. [WithHooks] tells functions of yours when each
// call and each import starts and ends, and when a call waits (a
// Retry-After, a backoff, Import's pacer): the module
// github.com/commet-go/commet/otelcommet builds OpenTelemetry's spans and
// metrics on them, so that this module imports no telemetry library.
//
// # Testing
//
// Package commettest is a fake Commet server, in the spirit of
// net/http/httptest; its Client method returns a client that reaches it in
// memory, so that it works inside a testing/synctest bubble, where retries
// and timeouts take no real time.
//
//	srv := commettest.NewServer()
//	defer srv.Close()
//	client := srv.Client()
//	srv.InjectFault(commettest.Fault{Status: 503}) // the next request fails once
//
// It also rate-limits (WithRateLimit), adds latency, and checks requests
// against the contract (WithStrict). The cmd/commet-fake binary serves the
// same fake for other languages and containers, with a control plane for
// faults; a client reaches a commet-fake container over plain http only
// with [WithInsecureHTTP].
//
// # Logging and secrets
//
// [WithLogger] logs one Debug record per attempt: method, path, status,
// attempt, request ID and duration. Records never hold headers, bodies or
// query strings, which carry people's emails and addresses. The API key is
// never in an error, a log record or a printed [Client]: it lives in a
// closure, out of reach of fmt and of reflection-based printers, and it is
// redacted from everything a server sends back.
package commet
