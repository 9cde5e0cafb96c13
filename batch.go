package commet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// MaxBatchSize is the most customers one CreateBatch call may carry.
const MaxBatchSize = 100

// BatchResult is the answer of CreateBatch: items succeed or fail one by one.
type BatchResult struct {
	// Successful holds the created customers, and the existing ones for IDs
	// that were already taken, in input order.
	Successful []Customer `json:"successful"`
	// Failed holds the items Commet refused, each with its input index.
	Failed []BatchFailure `json:"failed"`
}

// BatchFailure is one item of a batch that Commet refused. It is an error;
// a per-item failure is the item's own fault (a server fault fails the whole
// request instead), so it matches ErrValidation.
type BatchFailure struct {
	// Index is the item's position in the slice given to CreateBatch.
	Index int
	// Code is Commet's error code, when it gave one.
	Code string
	// Message is Commet's reason.
	Message string
	// FieldErrors maps each rejected field to its messages, when given.
	FieldErrors map[string][]string
	// Data is the item as Commet received it.
	Data json.RawMessage
}

// Error returns the item's index and Commet's reason.
func (f *BatchFailure) Error() string {
	return fmt.Sprintf("commet: batch item %d refused: %s", f.Index, f.Message)
}

// Is reports whether target is ErrValidation.
func (f *BatchFailure) Is(target error) bool { return target == ErrValidation }

// UnmarshalJSON reads a failed item whose "error" is a message string or an
// error object ({"code", "message", "details"}).
func (f *BatchFailure) UnmarshalJSON(b []byte) error {
	var raw struct {
		Index int             `json:"index"`
		Error json.RawMessage `json:"error"`
		Data  json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*f = BatchFailure{Index: raw.Index, Data: raw.Data}
	if json.Unmarshal(raw.Error, &f.Message) == nil {
		return nil
	}
	var obj struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	}
	if err := json.Unmarshal(raw.Error, &obj); err != nil {
		return fmt.Errorf("batch item %d: unreadable error: %w", raw.Index, err)
	}
	f.Code, f.Message = obj.Code, obj.Message
	f.FieldErrors = parseFieldErrors(obj.Details, "", "")
	return nil
}

// CreateBatch creates up to MaxBatchSize customers in one request. Items
// succeed or fail one by one: an invalid item fails alone, and an item
// whose ID exists returns the existing customer. An empty batch or one over
// MaxBatchSize is refused before sending. Like Create, the POST carries one
// Idempotency-Key for all its retries.
//
// To import more than one batch, use Import.
func (s *CustomersService) CreateBatch(ctx context.Context, items []CreateCustomerParams, opts ...Option) (*BatchResult, error) {
	if len(items) == 0 || len(items) > MaxBatchSize {
		return nil, invalid("customers", "a batch holds 1 to %d customers, not %d", MaxBatchSize, len(items))
	}
	var errs []error
	for i := range items {
		if err := items[i].validate(fmt.Sprintf("customers[%d].", i)); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, joinValidation(errs)
	}
	body := struct {
		Customers []CreateCustomerParams `json:"customers"`
	}{items}
	var res *BatchResult
	err := s.client.do(ctx, request{method: http.MethodPost, path: "/customers/batch", body: body,
		decode: func(b []byte) (err error) { res, err = decodeBatch(b, len(items)); return err }}, opts)
	if err != nil {
		return nil, err
	}
	return res, nil
}
