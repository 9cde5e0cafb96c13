package commet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"
)

// importItem is one input item and its input index.
type importItem struct {
	index int
	item  CreateCustomerParams
}

// importBatch is a batch of input items.
type importBatch []importItem

// importRun is the shared state of one Import call.
type importRun struct {
	customers *CustomersService
	params    ImportCustomersParams
	opts      []CallOption
	start     time.Time
	cancel    context.CancelCauseFunc
	pacer     *pacer
	clock     serverClock
	seed      maphash.Seed
	callbacks chan func() // run in order by one goroutine

	mu       sync.Mutex // guards what follows
	progress ImportProgress
	ids      map[uint64]idState      // by hash of the ID
	waiting  map[uint64][]importItem // repeats of an ID whose item is in flight
	failures int                     // whole-batch failures in a row
	firstErr error
}

// read groups items into batches and hands them to the workers, until the
// input ends or ctx is done. A repeat of an ID whose item is in flight
// waits for that item's outcome; an item that cannot be sent fails alone.
func (r *importRun) read(ctx context.Context, items iter.Seq[CreateCustomerParams], batches chan<- importBatch) {
	b := make(importBatch, 0, r.params.BatchSize)
	next := 0
	for item := range items {
		it := importItem{index: next, item: item}
		next++
		switch err := item.validate(""); {
		case err != nil: // refused alone, not with its batch
			r.report(importBatch{it}, func(int) CustomerImportResult {
				return CustomerImportResult{Outcome: OutcomeFailed, Err: err}
			})
		case r.admit(it):
			b = append(b, it)
		}
		if len(b) == r.params.BatchSize || ctx.Err() != nil {
			if !r.hand(ctx, b, batches) {
				return
			}
			b = make(importBatch, 0, r.params.BatchSize)
		}
		if ctx.Err() != nil {
			return
		}
	}
	r.hand(ctx, b, batches)
}

// hand passes b to a worker, or fails it as not sent when ctx is done.
func (r *importRun) hand(ctx context.Context, b importBatch, batches chan<- importBatch) bool {
	if len(b) == 0 {
		return ctx.Err() == nil
	}
	select {
	case batches <- b:
		return true
	case <-ctx.Done():
		r.notSent(ctx, b)
		return false
	}
}

// send creates one batch and reports the outcome of each item; it returns
// the repeats its outcome let go.
func (r *importRun) send(ctx context.Context, b importBatch) []importBatch {
	if r.pacer.acquireSlot(ctx) != nil {
		return r.notSent(ctx, b)
	}
	defer r.pacer.releaseSlot()
	items := make([]CreateCustomerParams, len(b))
	for i := range b {
		items[i] = b[i].item
	}
	var firstSent time.Time
	var resp Response
	opts := append(r.opts[:len(r.opts):len(r.opts)],
		WithIdempotencyKey(newIdempotencyKey()), // one key for every retry of this batch
		withAnswerInto(&resp),
		withCallMiddleware(r.pacer.middleware),
		withCallMiddleware(r.clock.middleware(&firstSent)),
		withRateLimitPatience(importPatience, maxImportRetryAfter),
	)
	res, err := r.customers.CreateBatch(ctx, items, opts...)
	if err != nil {
		r.batchFailed(ctx, err)
		return r.report(b, func(int) CustomerImportResult {
			return CustomerImportResult{Outcome: OutcomeFailed, Err: err}
		})
	}
	r.mu.Lock()
	r.failures = 0
	r.mu.Unlock()
	created := r.clock.commet(firstSent) // the batch reached Commet after this
	customers, errs := matchBatch(items, res)
	return r.report(b, func(i int) CustomerImportResult {
		if errs[i] != nil {
			return CustomerImportResult{Outcome: OutcomeFailed, Err: errs[i], RequestID: resp.RequestID}
		}
		c := customers[i]
		return CustomerImportResult{Customer: c, RequestID: resp.RequestID, Outcome: outcomeOf(c, !c.CreatedAt.Before(created))}
	})
}

// batchFailed counts a whole-batch failure, and stops the import when no
// later batch can succeed: the key was refused, or the failure budget is
// spent.
func (r *importRun) batchFailed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	r.mu.Lock()
	r.failures++
	n := r.failures
	r.mu.Unlock()
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden):
		r.cancel(err)
	case n >= r.params.FailureBudget:
		r.cancel(&importStopped{failures: n, last: err})
	}
}

// importStopped is why an import stopped after its failure budget.
type importStopped struct {
	failures int
	last     error
}

func (e *importStopped) Error() string {
	return fmt.Sprintf("commet: import stopped after %d batches in a row failed; the last: %v", e.failures, e.last)
}

func (e *importStopped) Unwrap() error { return e.last }

// notSent fails every item of b as not sent, since the import stopped,
// and so every repeat that was waiting for them.
func (r *importRun) notSent(ctx context.Context, b importBatch) []importBatch {
	err := fmt.Errorf("%w: %w", ErrNotSent, context.Cause(ctx))
	for queue := []importBatch{b}; len(queue) > 0; {
		b, queue = queue[0], queue[1:]
		queue = append(queue, r.report(b, func(int) CustomerImportResult {
			return CustomerImportResult{Outcome: OutcomeFailed, Err: err}
		})...)
	}
	return nil
}

// report settles the items of b with their outcome, counts them, and hands
// them to the callbacks outside the lock. It returns the repeats whose wait
// ended.
func (r *importRun) report(b importBatch, outcome func(i int) CustomerImportResult) []importBatch {
	results := make([]CustomerImportResult, len(b))
	var released importBatch
	r.mu.Lock()
	for i, it := range b {
		res := outcome(i)
		res.Index, res.Item = it.index, it.item
		if it.item.ID != "" {
			released = append(released, r.settleID(it, &res)...)
		}
		if res.Outcome != OutcomeCreated && res.Customer != nil {
			res.Differs = differences(&it.item, res.Customer)
		}
		if res.Outcome == OutcomeFailed && r.firstErr == nil {
			r.firstErr = res.Err
		}
		r.progress.count(&res)
		results[i] = res
	}
	progress := r.progress
	r.mu.Unlock()

	progress.Elapsed = time.Since(r.start)
	if on := r.params.OnResult; on != nil {
		for _, res := range results {
			r.callbacks <- func() { on(res) }
		}
	}
	if on := r.params.OnProgress; on != nil && len(b) > 0 {
		r.callbacks <- func() { on(progress) }
	}
	return r.batchesOf(released)
}

// batchesOf cuts items into batches.
func (r *importRun) batchesOf(items importBatch) []importBatch {
	var out []importBatch
	for len(items) > 0 {
		n := min(len(items), r.params.BatchSize)
		out = append(out, items[:n:n])
		items = items[n:]
	}
	return out
}

// differences names the fields of item that differ from what Commet holds
// in c. The address is not compared: Commet does not return it.
func differences(item *CreateCustomerParams, c *Customer) []string {
	var out []string
	for _, f := range []struct {
		name       string
		sent, held string
	}{
		{"billingEmail", item.Email, c.Email}, {"fullName", item.FullName, c.FullName},
		{"domain", item.Domain, c.Domain}, {"website", item.Website, c.Website},
		{"timezone", item.Timezone, c.Timezone}, {"language", item.Language, c.Language},
		{"industry", item.Industry, c.Industry},
	} {
		if f.name == "billingEmail" && strings.EqualFold(strings.TrimSpace(f.sent), f.held) {
			continue
		}
		if f.sent != f.held && (f.sent != "" || f.name == "billingEmail") {
			out = append(out, f.name)
		}
	}
	if item.Metadata != nil && !sameJSON(item.Metadata, c.Metadata) {
		out = append(out, "metadata")
	}
	return out
}

// sameJSON reports whether sent metadata reads back as held, as JSON.
func sameJSON(sent, held map[string]any) bool {
	b, err := json.Marshal(sent)
	if err != nil {
		return false
	}
	var back map[string]any
	if json.Unmarshal(b, &back) != nil {
		return false
	}
	return reflect.DeepEqual(back, held) || len(back) == 0 && len(held) == 0
}

// matchBatch pairs each item with its customer or its error. Commet lists
// the successful customers in input order, skipping the failed items; when
// an answer does not line up that way, items are matched by ID, and an
// item the answer does not account for fails with ErrBadResponse rather
// than being lost.
func matchBatch(items []CreateCustomerParams, res *CustomerBatchResult) ([]*Customer, []error) {
	customers := make([]*Customer, len(items))
	errs := make([]error, len(items))
	for i := range res.Failed {
		if f := res.Failed[i]; f.Index >= 0 && f.Index < len(items) && errs[f.Index] == nil {
			errs[f.Index] = f
		}
	}
	j, inOrder := 0, true
	for i := range items {
		if errs[i] != nil {
			continue
		}
		if j >= len(res.Successful) || items[i].ID != "" && items[i].ID != res.Successful[j].ExternalID {
			inOrder = false
			break
		}
		customers[i] = &res.Successful[j]
		j++
	}
	if inOrder && j == len(res.Successful) {
		return customers, errs
	}
	byID := make(map[string]*Customer, len(res.Successful))
	for k := range res.Successful {
		if id := res.Successful[k].ExternalID; id != "" {
			byID[id] = &res.Successful[k]
		}
	}
	for i := range items {
		if errs[i] != nil {
			continue
		}
		customers[i] = byID[items[i].ID]
		if items[i].ID == "" || customers[i] == nil {
			customers[i] = nil
			errs[i] = fmt.Errorf("%w: the batch answer does not account for item %d", ErrBadResponse, i)
		}
	}
	return customers, errs
}
