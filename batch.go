package commet

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// MaxCustomerBatchSize is the most customers one CreateBatch call may carry.
const MaxCustomerBatchSize = 100

// CreateBatchResult is the answer of CreateBatch: items succeed or fail
// one by one. It survives a JSON round trip, in the wire's shape.
type CreateBatchResult struct {
	// Successful holds the created customers, and the existing ones for IDs
	// that were already taken, in input order (without the failed items).
	Successful []Customer `json:"successful"`
	// Failed holds the items Commet refused, each with its input index.
	Failed []*BatchItemError `json:"failed"`
}

// BatchItemError is one item of a batch that failed alone; the other
// items went on without it. An item refused for its data, by Commet or by
// the SDK before sending (see CreateBatch), matches [ErrValidation], and
// errors.As finds a *[ValidationError] in it with the item's field errors,
// keyed by wire name as for any other validation failure. An item too
// large to send (Code "payload_too_large") matches ErrValidation too, and
// errors.As finds the 413 *[APIError] in it. An item whose part of a batch
// split after a 413 failed as a whole wraps that failure instead (it may
// match [ErrOutcomeUnknown] or [ErrNotSent]), and not ErrValidation. The
// errors wrapped do not survive a JSON round trip; Code and Message do.
type BatchItemError struct {
	// Index is the item's position, from 0, in the items given to
	// CreateBatch (whether or not it was sent).
	Index int
	// Code is Commet's error code for the item, when it gave one.
	Code string
	// Message is Commet's reason, as sent (API keys redacted).
	Message string
	// Data is the item as Commet echoed it back, raw JSON; for an item
	// refused before sending, the item as it would have been sent; none
	// for an item too large, or failed with its request.
	Data json.RawMessage

	fields map[string][]string
	// cause is the error of the request the item failed with, after a
	// batch answered 413 was split: its own 413 when it was too large
	// alone (tooLarge), else the failure of its part of the batch.
	cause    error
	tooLarge bool
}

// Error returns the item's index and Commet's reason, on one line.
func (e *BatchItemError) Error() string {
	if e.cause != nil && !e.tooLarge {
		return fmt.Sprintf("commet: batch item %d: %s", e.Index, printable(strings.TrimPrefix(e.Message, "commet: "), 300))
	}
	return fmt.Sprintf("commet: batch item %d refused: %s", e.Index, printable(e.Message, 200))
}

// Unwrap returns the item's *[ValidationError]; for an item too large to
// send, also the 413 *[APIError]; and for an item whose part of a split
// batch failed as a whole, that failure alone (its answer lost, matching
// [ErrOutcomeUnknown], say), which says nothing of the item's data.
func (e *BatchItemError) Unwrap() error {
	switch {
	case e.tooLarge:
		return errors.Join(&ValidationError{Fields: e.fields}, e.cause)
	case e.cause != nil:
		return e.cause
	}
	return &ValidationError{Fields: e.fields}
}

// batchItemWire is a failed item on the wire: "error" is a message, or an
// object with a code, a message and field details; some servers put the
// code and details beside it.
type batchItemWire struct {
	Index   int             `json:"index"`
	Error   json.RawMessage `json:"error"`
	Code    string          `json:"code,omitempty"`
	Details json.RawMessage `json:"details,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

type batchItemErrorWire struct {
	Code    string       `json:"code,omitempty"`
	Message string       `json:"message"`
	Details []fieldError `json:"details,omitempty"`
}

// MarshalJSON writes the item in the wire's shape, which UnmarshalJSON reads.
func (e *BatchItemError) MarshalJSON() ([]byte, error) {
	inner := batchItemErrorWire{Code: e.Code, Message: e.Message}
	for _, field := range slices.Sorted(maps.Keys(e.fields)) {
		for _, msg := range e.fields[field] {
			inner.Details = append(inner.Details, fieldError{field, msg})
		}
	}
	errJSON, err := json.Marshal(inner)
	if err != nil {
		return nil, err
	}
	return json.Marshal(batchItemWire{Index: e.Index, Error: errJSON, Data: e.Data})
}

// UnmarshalJSON reads a failed item whose "error" is a message string or
// an error object ({"code", "message", "details"}).
func (e *BatchItemError) UnmarshalJSON(b []byte) error {
	var raw batchItemWire
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*e = BatchItemError{Index: raw.Index, Code: raw.Code, Data: raw.Data}
	details := raw.Details
	if json.Unmarshal(raw.Error, &e.Message) != nil {
		var obj struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"`
		}
		if err := json.Unmarshal(raw.Error, &obj); err != nil {
			return badAnswerf("failed item %d has an error that is neither a message nor an object", raw.Index)
		}
		e.Code, e.Message = cmp.Or(obj.Code, e.Code), obj.Message
		if len(obj.Details) > 0 {
			details = obj.Details
		}
	}
	e.fields = parseFieldErrors(details, "", "")
	if e.fields == nil {
		e.fields = fieldsInMessage(e.Message)
	}
	return nil
}

// wireField matches the wire name of a customer field, as a batch item's
// message names it ("billingEmail", "address.country", "metadata.plan").
var wireField = regexp.MustCompile(`^(billingEmail|externalId|fullName|domain|website|timezone|language|industry|` +
	`metadata(\.[^:;]+)?|address(\.(line1|line2|city|state|postalCode|country))?)$`)

// fieldsInMessage reads field errors out of a message string of the form
// "billingEmail: Invalid email format; address.country: Required", the
// only place a server that sends failures as strings puts them. Only the
// contract's field names count, so ordinary prose is not mistaken for one.
func fieldsInMessage(msg string) map[string][]string {
	var fields map[string][]string
	for part := range strings.SplitSeq(msg, "; ") {
		field, text, ok := strings.Cut(part, ": ")
		if !ok || !wireField.MatchString(field) {
			continue
		}
		if fields == nil {
			fields = make(map[string][]string)
		}
		fields[field] = append(fields[field], text)
	}
	return fields
}

// CreateBatch creates up to [MaxCustomerBatchSize] customers in one request.
// Items succeed or fail one by one, as on the wire: an item whose ID
// exists returns the existing customer, and an item that fails fails
// alone, in Failed with its index in items, while the others are created.
// An item that Validate refuses is not sent: it is in Failed as Commet
// would answer it (Code "validation_error", field errors by wire name, as
// for any validation failure), and the others are sent without it. When
// every item is refused so, nothing is sent, and CreateBatch returns a
// result whose Failed holds them all and a nil error, as Commet's answer
// would be: check Failed after every call. The error is for the call as a
// whole: a batch that cannot be one (no items, or more than
// MaxCustomerBatchSize; nothing is sent), or a request that failed.
//
// Like Create, the POST carries one Idempotency-Key for all its retries.
//
// One item too large never sinks its batch: a batch Commet answers 413
// (payload too large) is halved, and each half sent, halving again while
// a part is answered 413, until the item at fault fails alone, in Failed
// with Code "payload_too_large" (it matches [ErrValidation], and errors.As
// finds the 413 *[APIError]), and the others are created: about 2·log2(n)
// more requests for each such item among n. A part in which one item makes
// up more than half of the JSON is not halved but cut around that item,
// which is sent alone: one 5 MB name among 100 customers takes four
// requests in all, and the name is sent twice, not eight times. Each of
// these requests has its own
// Idempotency-Key (Commet refuses a key reused with another payload): your
// key, given with [WithIdempotencyKey], is the first request's, and each
// smaller request's is derived from it and the positions of its items, so
// that repeating the call with the same key and items replays Commet's
// first answers and creates nothing twice, even customers without an ID.
// Without your key, each request gets a random one. Once the batch is
// split, a part whose request fails as a whole (its answer lost, say)
// fails its own items only: each is in Failed with that error, matching
// [ErrOutcomeUnknown] (it may have been created) or [ErrNotSent], and the
// others keep their outcomes. [WithResponseInto] then describes the last
// request. Import splits its batches the same way.
//
// To import more than one batch, use Import.
func (s *CustomersService) CreateBatch(ctx context.Context, items []CreateCustomerParams, opts ...CallOption) (*CreateBatchResult, error) {
	if len(items) == 0 || len(items) > MaxCustomerBatchSize {
		return nil, invalid("customers", "must hold 1 to %d items, not %d (Import sends any number, in batches)", MaxCustomerBatchSize, len(items))
	}
	var refused []*BatchItemError
	send := make([]CreateCustomerParams, 0, len(items))
	at := make([]int, 0, len(items)) // each item sent's index in items
	for i := range items {
		if err := items[i].validate(""); err != nil {
			refused = append(refused, refusedItem(i, &items[i], err))
			continue
		}
		send, at = append(send, items[i]), append(at, i)
	}
	if len(send) == 0 {
		return &CreateBatchResult{Successful: []Customer{}, Failed: refused}, nil
	}
	res, err := s.createBatch(ctx, send, opts)
	if err != nil {
		return nil, err
	}
	for k := range res.Failed {
		res.Failed[k].Index = at[res.Failed[k].Index]
	}
	if len(refused) > 0 {
		res.Failed = append(res.Failed, refused...)
		slices.SortFunc(res.Failed, func(a, b *BatchItemError) int { return cmp.Compare(a.Index, b.Index) })
	}
	return res, nil
}

// refusedItem is the failure of item i, refused before sending with err (a
// *[ValidationError]), in the shape Commet gives a failed item: its field
// errors as "field: message" joined by "; ", and the item as JSON.
func refusedItem(i int, item *CreateCustomerParams, err error) *BatchItemError {
	f := &BatchItemError{Index: i, Code: "validation_error"}
	if ve := (*ValidationError)(nil); errors.As(err, &ve) {
		f.fields = ve.Fields
		var msgs []string
		for _, field := range slices.Sorted(maps.Keys(ve.Fields)) {
			for _, msg := range ve.Fields[field] {
				msgs = append(msgs, field+": "+msg)
			}
		}
		f.Message = strings.Join(msgs, "; ")
	}
	if data, err := json.Marshal(item); err == nil && json.Valid(data) {
		f.Data = data
	}
	return f
}

// createBatch sends items already checked (Import checks each as it reads
// it, and sends only those that pass), in one request, or in more when
// Commet answers 413: one oversized item must not sink its batch on every
// re-run. A batch answered 413 is split (see split), and each part sent,
// and split again while it is answered 413, until the item at fault fails
// alone (Code "payload_too_large") and the others are created.
//
// Each request carries its own Idempotency-Key, since Commet refuses a key
// reused with another payload. The caller's key ([WithIdempotencyKey]; Import
// gives one per batch) is the first request's, and each smaller request's
// key is derived from it and the positions of its items: the same call
// repeated with the same key sends the same requests with the same keys,
// and Commet replays their first answers, creating nothing twice. Without
// a key of the caller's, each request gets a random one, as any call.
//
// Once split, a part whose request fails as a whole (its answer lost,
// Commet down) fails its own items only, each with that error (matching
// [ErrOutcomeUnknown], [ErrNotSent], ...), in Failed; the call then returns no
// error. An error of the first request other than a 413 is the call's.
func (s *CustomersService) createBatch(ctx context.Context, items []CreateCustomerParams, opts []CallOption) (*CreateBatchResult, error) {
	res, err := s.sendBatch(ctx, items, opts)
	if !isTooLarge(err) {
		return res, err
	}
	cfg, err2 := s.client.newCallConfig(opts)
	if err2 != nil {
		return nil, err2 // cannot be: the first request took these options
	}
	sp := batchSplitter{s: s, opts: opts[:len(opts):len(opts)], key: cfg.idempotencyKey, sizes: make([]int, len(items)),
		out: &CreateBatchResult{Successful: make([]Customer, 0, len(items)), Failed: []*BatchItemError{}}}
	for i := range items {
		if b, err := json.Marshal(&items[i]); err == nil {
			sp.sizes[i] = len(b)
		}
	}
	sp.split(ctx, items, 0, err)
	slices.SortStableFunc(sp.out.Failed, func(a, b *BatchItemError) int { return cmp.Compare(a.Index, b.Index) })
	return sp.out, nil
}

// batchSplitter sends the parts of a batch answered 413.
type batchSplitter struct {
	s     *CustomersService
	opts  []CallOption
	key   string // the caller's Idempotency-Key; "" for none
	sizes []int  // each item's size in JSON
	out   *CreateBatchResult
}

// split sends the parts of items, answered 413 with tooBig; offset is the
// position of items[0] in the batch. The parts are the two halves, unless
// one item makes up more than half of the bytes: then that item goes
// alone, and the items before and after it in a part each, so that a
// single huge item is sent twice in all, not once per halving.
func (sp *batchSplitter) split(ctx context.Context, items []CreateCustomerParams, offset int, tooBig error) {
	if len(items) == 1 {
		sp.out.Failed = append(sp.out.Failed, tooLargeItem(offset, &items[0], tooBig))
		return
	}
	for _, part := range sp.parts(offset, len(items)) {
		sub, at := items[part[0]:part[1]], offset+part[0]
		res, err := sp.s.sendBatch(ctx, sub, sp.optsFor(at, len(sub)))
		switch {
		case err == nil:
			sp.out.Successful = append(sp.out.Successful, res.Successful...)
			for _, f := range res.Failed {
				f.Index += at
				sp.out.Failed = append(sp.out.Failed, f)
			}
		case isTooLarge(err):
			sp.split(ctx, sub, at, err)
		default:
			for i := range sub {
				f := &BatchItemError{Index: at + i, Message: err.Error(), cause: err}
				if apiErr := (*APIError)(nil); errors.As(err, &apiErr) {
					f.Code = apiErr.Code
				}
				sp.out.Failed = append(sp.out.Failed, f)
			}
		}
	}
}

// parts divides the n items from position offset, as [from, to) ranges
// relative to offset, in order.
func (sp *batchSplitter) parts(offset, n int) [][2]int {
	sizes := sp.sizes[offset : offset+n]
	big, total := 0, 0
	for i, size := range sizes {
		total += size
		if size > sizes[big] {
			big = i
		}
	}
	if sizes[big] <= total/2 {
		return [][2]int{{0, n / 2}, {n / 2, n}}
	}
	var parts [][2]int
	for _, p := range [][2]int{{0, big}, {big, big + 1}, {big + 1, n}} {
		if p[0] < p[1] {
			parts = append(parts, p)
		}
	}
	return parts
}

// optsFor returns the options of the request for the n items from
// position at: the caller's, with a key of its own derived from the
// caller's key, if any (else the request loop draws a random one).
func (sp *batchSplitter) optsFor(at, n int) []CallOption {
	if sp.key == "" {
		return sp.opts
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", sp.key, at, n))
	return append(sp.opts, WithIdempotencyKey("split-"+hex.EncodeToString(sum[:16])))
}

// isTooLarge reports whether err is a 413: the request's body was too
// large for Commet (or a proxy before it).
func isTooLarge(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusRequestEntityTooLarge
}

// tooLargeItem is the failure of an item answered 413 alone.
func tooLargeItem(i int, item *CreateCustomerParams, tooBig error) *BatchItemError {
	f := &BatchItemError{Index: i, Code: "payload_too_large", cause: tooBig, tooLarge: true}
	var apiErr *APIError
	if errors.As(tooBig, &apiErr) && apiErr.Code != "" {
		f.Code = apiErr.Code
	}
	size := 0
	if b, err := json.Marshal(item); err == nil {
		size = len(b)
	}
	f.Message = fmt.Sprintf("the item is too large: Commet answered 413 to it alone in a request (%d bytes of JSON); shorten its longest fields or metadata", size)
	return f
}

// sendBatch sends items in one request.
func (s *CustomersService) sendBatch(ctx context.Context, items []CreateCustomerParams, opts []CallOption) (*CreateBatchResult, error) {
	body := struct {
		Customers []CreateCustomerParams `json:"customers"`
	}{items}
	var res *CreateBatchResult
	err := s.client.do(ctx, request{op: "Customers.CreateBatch", method: http.MethodPost, path: "/customers/batch", route: "/customers/batch", body: body,
		decode: func(_ int, b []byte) (err error) {
			res, err = decodeBatch(b, len(items), s.client.key.redact)
			return err
		}}, opts)
	if err != nil {
		return nil, err
	}
	return res, nil
}
