// Package commettest is an in-memory Commet customers API, for tests and
// demos that need no network and no account, in the spirit of
// net/http/httptest.
//
//	srv := commettest.NewServer()
//	defer srv.Close()
//	client := srv.Client() // a *commet.Client pointed at srv
//	cust, err := client.Customers.Create(ctx, &commet.CreateCustomerParams{Email: "ada@example.com", ID: "user_1"})
//
// The fake follows the contract of API version 2026-05-01 for create,
// batch create, get, update, list and archive: paths, field names,
// envelopes, error shapes and status codes. Create answers 201 for a new
// customer and 200 with the existing one when its externalId is taken. A
// POST's Idempotency-Key replays the first answer (with the header
// Idempotent-Replayed: true); the same key with another body is a 409
// idempotency_key_reused. Lists are in creation order, DefaultListLimit
// items by default, with opaque cursors; search matches email, name and
// external ID, case-insensitively. Validation collects every field error
// into a validation_error: email required and well formed, address fields
// line1, city, postalCode and an ISO alpha-2 country when an address is
// sent, a real IANA timezone, metadata an object. Unknown fields are
// ignored; malformed JSON is a 400 invalid_json. Any key starting with
// "ck_" is accepted unless WithAPIKey names one. Every answer carries an
// x-request-id.
//
// InjectFault makes the next requests fail with a status (and
// Retry-After), a delay, or a dropped connection, so a test can prove its
// code survives a 503 storm or a rate limit:
//
//	srv.InjectFault(commettest.Fault{Path: "/api/v1/customers", Status: 503, Times: 2})
//
// The same fake runs as a binary for other languages and containers:
//
//	go run ./cmd/commet-fake -addr 127.0.0.1:12111
package commettest
