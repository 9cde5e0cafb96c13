package commet

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// MaxCustomerBatchSize is the most customers one CreateBatch call may carry.
const MaxCustomerBatchSize = 100

// CustomerBatchResult is the answer of CreateBatch: items succeed or fail
// one by one. It survives a JSON round trip, in the wire's shape.
type CustomerBatchResult struct {
	// Successful holds the created customers, and the existing ones for IDs
	// that were already taken, in input order (without the failed items).
	Successful []Customer `json:"successful"`
	// Failed holds the items Commet refused, each with its input index.
	Failed []BatchItemError `json:"failed"`
}

// BatchItemError is one item of a batch that Commet refused; the other
// items went on without it. It matches ErrValidation, and errors.As finds
// a *ValidationError in it with the item's field errors, keyed by wire
// name as for any other validation failure.
type BatchItemError struct {
	// Index is the item's position, from 0, in the items given to
	// CreateBatch (whether or not it was sent).
	Index int
	// Code is Commet's error code for the item, when it gave one.
	Code string
	// Message is Commet's reason, as sent (API keys redacted).
	Message string
	// Data is the item as Commet echoed it back, raw JSON.
	Data json.RawMessage

	fields map[string][]string
}

// Error returns the item's index and Commet's reason, on one line.
func (e BatchItemError) Error() string {
	return fmt.Sprintf("commet: batch item %d refused: %s", e.Index, printable(e.Message, 200))
}

// Unwrap returns the item's *ValidationError.
func (e BatchItemError) Unwrap() error { return &ValidationError{Fields: e.fields} }

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
func (e BatchItemError) MarshalJSON() ([]byte, error) {
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

// CreateBatch creates up to MaxCustomerBatchSize customers in one request.
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
// To import more than one batch, use Import.
func (s *CustomersService) CreateBatch(ctx context.Context, items []CreateCustomerParams, opts ...CallOption) (*CustomerBatchResult, error) {
	if len(items) == 0 || len(items) > MaxCustomerBatchSize {
		return nil, invalid("customers", "must hold 1 to %d items, not %d (Import sends any number, in batches)", MaxCustomerBatchSize, len(items))
	}
	var refused []BatchItemError
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
		return &CustomerBatchResult{Successful: []Customer{}, Failed: refused}, nil
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
		slices.SortFunc(res.Failed, func(a, b BatchItemError) int { return cmp.Compare(a.Index, b.Index) })
	}
	return res, nil
}

// refusedItem is the failure of item i, refused before sending with err (a
// *ValidationError), in the shape Commet gives a failed item: its field
// errors as "field: message" joined by "; ", and the item as JSON.
func refusedItem(i int, item *CreateCustomerParams, err error) BatchItemError {
	f := BatchItemError{Index: i, Code: "validation_error"}
	if ve, ok := err.(*ValidationError); ok {
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
// it, and sends only those that pass).
func (s *CustomersService) createBatch(ctx context.Context, items []CreateCustomerParams, opts []CallOption) (*CustomerBatchResult, error) {
	body := struct {
		Customers []CreateCustomerParams `json:"customers"`
	}{items}
	var res *CustomerBatchResult
	err := s.client.do(ctx, request{method: http.MethodPost, path: "/customers/batch", body: body,
		decode: func(_ int, b []byte) (err error) {
			res, err = decodeBatch(b, len(items), s.client.key.redact)
			return err
		}}, opts)
	if err != nil {
		return nil, err
	}
	return res, nil
}
