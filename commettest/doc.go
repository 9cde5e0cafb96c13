// Package commettest is a fake Commet customers API, for tests and demos
// that need no network and no account, in the spirit of net/http/httptest.
//
//	srv := commettest.NewServer()
//	defer srv.Close()
//	client := srv.Client() // a *commet.Client that reaches srv in memory
//	cust, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_1"})
//
// # In memory, and inside synctest
//
// [Server.Client] and [Server.Transport] call the handler directly, in the
// caller's goroutine: no socket, no goroutine left behind. They work
// inside a testing/synctest bubble, where the SDK's retry backoff, Delay
// faults, [WithLatency] and rate-limit refills take no real time. A client of
// your own reaches the fake in memory with two options:
//
//	client, err := commet.NewClient("ck_sandbox_mine",
//		commet.WithBaseURL(commettest.InMemoryBaseURL),
//		commet.WithHTTPClient(&http.Client{Transport: srv.Transport()}),
//	)
//
// [Server.URL] starts a real loopback listener, on first use, for code that
// needs a URL (another process, a proxy). It opens a socket, whose
// goroutines a bubble cannot wait for: never call it inside a synctest
// bubble. [Handler] is the same fake as an http.Handler, to mount on a server
// of your own; [Handler.Transport] serves it in memory.
//
// # What the fake does
//
// It follows the contract of API version 2026-05-01 for create, batch
// create, get, update, list and archive: paths, field names, envelopes,
// error shapes and status codes. Create answers 201 for a new customer and
// 200 with the existing one when its externalId is taken. Lists are in
// creation order, [DefaultListLimit] items by default, with opaque cursors;
// search matches email, name and external ID, case-insensitively.
// Validation collects every field error into a validation_error, by the
// very rules the SDK checks before sending (one internal package holds
// them, so commet's Validate and the fake agree field by field): email
// required and one address alone with a dot in its domain, an externalId
// neither blank nor over 255 characters, address fields line1, city,
// postalCode and a country when an address is sent, the country an
// officially assigned ISO 3166-1 alpha-2 code ("GB"; never "UK", "EU",
// "XK" or "ZZ"; any letter case, trimmed, stored upper case), an IANA
// time zone name in any letter case (never Go's "Local"), metadata an
// object. [WithRule] adds rules of a test's own. A
// batch answers each refused item as {"index", "error", "code", "details",
// "data"}: error is the string of the contract (every field error as
// "field: message", joined by "; "), and code (validation_error, or
// invalid_json for an item that is not an object) and details (the field
// errors) carry the same structured.
//
// JSON keys match case-sensitively, as in Commet's JavaScript server: a
// key that differs only in case ("BillingEmail") is an unknown key, and
// unknown keys are ignored (see [WithStrict]). Malformed JSON, and a body
// that is not valid UTF-8, is a 400 invalid_json: whatever the fake stores
// it answers back byte for byte. Every answer carries an x-request-id and
// a Date from the handler's clock ([WithClock]).
//
// Any key starting with "ck_" is accepted unless [WithAPIKey] names one.
// Commet serves live and sandbox data from one host and the key decides
// which; the fake holds one organization in one environment, so every key
// it accepts ("ck_sandbox_..." or any other) reaches the same customers,
// though each key has its own rate limit.
//
// Len counts the customers stored, Requests the requests received, and
// [Stats] the requests by method, path ("/customers/{id}") and status.
// [WithSeedCustomers] starts the fake with generated customers.
//
// A POST's Idempotency-Key replays the first answer (with the header
// Idempotent-Replayed: true) for 24 hours. As Commet's error reference
// says, the same key with another method, path or body is a 409
// idempotency_key_mismatch, and the key arriving while its first request
// is still being handled is a 409 idempotency_in_progress, answered at
// once. Answers of 5xx are not kept, so a retry runs afresh.
//
// # Faults, rate limits and latency
//
// InjectFault makes the next matching requests fail with a status (and
// Retry-After), a delay, or a dropped connection, so a test can prove its
// code survives a 503 storm or a rate limit. DropAnswer loses an answer
// after the work is done: the request is handled (a create stored, its
// answer kept for its Idempotency-Key), then the connection is dropped, so
// the client sees a network error and a retry with the same key gets the
// first answer replayed. Path takes the path as the SDK names it (its
// Attempt.Path, errors and log records: "/customers/user_1") or in full
// ("/api/v1/customers/user_1"); Times takes a count or Forever:
//
//	srv.InjectFault(commettest.Fault{Method: "POST", Path: "/customers", Status: 503, Times: 2})
//	srv.RequireFaultsFired(t) // fails t if a fault never fired: a typo in Path tests nothing
//
// [WithRateLimit] gives each API key a token bucket, answering 429
// rate_limited with Retry-After and RateLimit-* headers, as Commet does;
// [WithRateLimitHeaders] writes them in the IETF draft's fields instead,
// or both.
// [WithLatency] delays every answer. [WithStrict] turns the fake into a
// conformance checker: it refuses, with a 400 contract_violation, the
// requests Commet accepts but a well-behaved client should never send.
//
// # Any language
//
// The same fake runs as a binary, for SDKs in other languages and for
// containers, with a control plane (ControlHandler) to inject faults, read
// its [Stats] and reset it over HTTP:
//
//	go run ./cmd/commet-fake -addr 127.0.0.1:12111 -strict
package commettest
