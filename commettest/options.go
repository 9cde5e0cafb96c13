package commettest

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// DefaultMaxBodyBytes bounds a request body unless [WithMaxBodyBytes] says
// otherwise; a larger body is answered with 413.
const DefaultMaxBodyBytes = 4 << 20

// An [Option] configures a [Handler] or a [Server].
type Option func(*Handler)

// WithAPIKey accepts only key; by default any key starting with "ck_" is
// accepted.
func WithAPIKey(key string) Option { return func(h *Handler) { h.apiKey = key } }

// WithClock sets the handler's clock (default time.Now): it stamps
// createdAt and updatedAt, the Date header of every answer, the expiry of
// idempotency keys and the refill of rate limits. A test can give the fake
// a clock an hour ahead of its own, and its client sees the server's time.
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithMaxBodyBytes bounds request bodies to n bytes.
func WithMaxBodyBytes(n int64) Option { return func(h *Handler) { h.maxBody = n } }

// WithStrict turns the fake into a conformance checker for any SDK. A
// request that Commet would accept, but that a well-behaved client should
// never send, is answered 400 with code contract_violation, a message
// naming every rule broken, and details listing them as {"rule", "field",
// "message"}. The rules:
//
//   - commet_version: every request pins the API version with a
//     Commet-Version header;
//   - idempotency_key: every POST carries an Idempotency-Key header;
//   - content_type: a request with a body sends Content-Type
//     application/json (a charset=utf-8 parameter is fine);
//   - unknown_field: create bodies, batch items, update bodies and
//     addresses hold only fields the contract knows, spelled with the
//     contract's letter case ("BillingEmail" is a typo, not billingEmail);
//     create does not know isActive and update does not know externalId;
//   - unknown_query_parameter: a list asks only for limit, cursor, isActive
//     and search.
//
// The rules are checked once the request is authenticated, counted by the rate
// limit and routed, and its body found to be UTF-8; before its Idempotency-Key
// is looked up and before any validation, so a refused request uses up no key
// and stores nothing. Without [WithStrict], all of these are accepted: unknown
// fields and query parameters are ignored, as Commet does.
func WithStrict() Option { return func(h *Handler) { h.strict = true } }

// WithRule adds a rule of your own to the fake's, to test what a client
// does when Commet refuses data that the SDK's checks let through
// (Commet may have rules it does not document). rule is called with the
// wire name and the value of every string field a create, a batch item or
// an update sends, once its JSON type is right ("billingEmail",
// "externalId", "fullName", ..., "address.country"; an address's fields
// trimmed); a non-empty message refuses the field with it, as Commet
// refuses data: a 400 validation_error, or a failed item of a batch, the
// rest of the batch going on. The fake's own rules come first: a field
// they refuse is not passed on. rule must be safe for concurrent use.
//
//	commettest.WithRule(func(field, value string) string {
//		if field == "billingEmail" && strings.HasSuffix(value, "@blocked.example") {
//			return "Email domain not allowed"
//		}
//		return ""
//	})
func WithRule(rule func(field, value string) string) Option {
	return func(h *Handler) { h.rule = rule }
}

// WithRateLimit limits each API key with a token bucket that holds burst
// tokens, starts full, and refills continuously at perSecond tokens a
// second, on the handler's clock ([WithClock]).
//
// The limit applies after faults and authentication (an unauthenticated
// request is not counted) and before anything else, routing included.
// Every request that is not refused takes one token. A request that arrives
// with less than one token in its key's bucket is refused: it takes no
// token, changes no state, and is answered 429 with code rate_limited and a
// Retry-After header holding the seconds until one token is available,
// rounded up to a whole number, at least 1.
//
// Every answer under the limit (2xx, 4xx and 429 alike; not the answers of
// injected faults, nor 401s) carries:
//
//   - RateLimit-Limit: burst;
//   - RateLimit-Remaining: the whole tokens left after this request (rounded
//     down);
//   - RateLimit-Reset: the seconds until the bucket is full again, rounded
//     up; 0 when it is full.
//
// [WithRateLimitHeaders] writes the same in the IETF draft's fields
// instead, or as well.
//
// It panics unless perSecond > 0 and burst >= 1.
func WithRateLimit(perSecond float64, burst int) Option {
	if !(perSecond > 0) || math.IsInf(perSecond, 0) || burst < 1 {
		panic(fmt.Sprintf("commettest: WithRateLimit(%v, %d): want perSecond > 0 and burst >= 1", perSecond, burst))
	}
	return func(h *Handler) { h.limiter = newRateLimiter(perSecond, burst) }
}

// RateLimitHeaders is the form in which [WithRateLimit]'s state is
// written: see [WithRateLimitHeaders].
type RateLimitHeaders int

const (
	// HeadersLegacy writes RateLimit-Limit, RateLimit-Remaining and
	// RateLimit-Reset, as Commet's docs name them. It is the default.
	HeadersLegacy RateLimitHeaders = iota
	// HeadersDraft writes the IETF draft's structured fields only
	// (draft-ietf-httpapi-ratelimit-headers): RateLimit-Policy:
	// "default";q=burst;w=W, W the seconds an empty bucket takes to fill
	// (rounded up, at least 1), and RateLimit: "default";r=R;t=T, with
	// the same remaining and reset as the older fields.
	HeadersDraft
	// HeadersBoth writes both forms, saying the same.
	HeadersBoth
)

// WithRateLimitHeaders sets the form of the headers that [WithRateLimit]
// writes on every answer under the limit: the older triple
// ([HeadersLegacy], the default), the draft's fields ([HeadersDraft]), or
// both ([HeadersBoth]). Retry-After is written on a 429 in every form. It
// panics on any other value.
func WithRateLimitHeaders(form RateLimitHeaders) Option {
	if form < HeadersLegacy || form > HeadersBoth {
		panic(fmt.Sprintf("commettest: WithRateLimitHeaders(%d): want HeadersLegacy, HeadersDraft or HeadersBoth", int(form)))
	}
	return func(h *Handler) { h.limitHeaders = form }
}

// WithLatency delays every answer by d, injected faults included: each
// request waits d before it is handled, or until its client goes away,
// which ends the request without an answer. It suits benchmarks and
// synctest tests, where the wait takes no real time.
func WithLatency(d time.Duration) Option { return func(h *Handler) { h.latency = d } }

// seedPrefix begins the external ID of every seeded customer.
const seedPrefix = "seed_"

// WithSeedCustomers starts the handler with n generated customers, and
// Reset makes them again, so that a reset handler is as a new one was. They
// are deterministic, created in order on the handler's clock: customer i (1
// to n) has the external ID "seed_" and i in six digits ("seed_000001"),
// the billing email "seed_000001@example.com", and, when i is odd, the full
// name "Seed Customer 1". Their Commet IDs differ on each handler and after
// each Reset, as IDs are never reused. Seeding sends no request: it is not
// counted in Requests or [Stats], and takes no rate-limit token. It panics
// if n is negative.
func WithSeedCustomers(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("commettest: WithSeedCustomers(%d): want 0 or more customers", n))
	}
	return func(h *Handler) { h.seed = n }
}

// seedCustomers stores the customers of [WithSeedCustomers].
func (h *Handler) seedCustomers() {
	now := h.now().UTC()
	for i := 1; i <= h.seed; i++ {
		ext := fmt.Sprintf("%s%06d", seedPrefix, i)
		c := customer{OrganizationID: h.orgID, ExternalID: ext, BillingEmail: ext + "@example.com",
			IsActive: true, CreatedAt: now, UpdatedAt: now}
		if i%2 == 1 {
			c.FullName = "Seed Customer " + strconv.Itoa(i)
		}
		h.store.create(c, h.newCustomerID)
	}
}
