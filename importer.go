package commet

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ImportCustomersParams tune Import. The zero value (or nil) imports in
// batches of 100, four requests at a time, with no client-side rate cap.
type ImportCustomersParams struct {
	// BatchSize is the number of customers per request, 1 to
	// MaxCustomerBatchSize (default MaxCustomerBatchSize).
	BatchSize int
	// Concurrency is how many batch requests may be in flight at once
	// (default 4).
	Concurrency int
	// RequestsPerSecond caps the rate of batch requests; 0 means no cap.
	RequestsPerSecond float64
	// OnResult, if set, is called once for every item read from the input,
	// from one goroutine at a time, in no particular order.
	OnResult func(CustomerImportResult)
	// OnProgress, if set, is called after each batch, from one goroutine at
	// a time.
	OnProgress func(ImportProgress)
}

// CustomerImportResult is the outcome of one item of an import.
type CustomerImportResult struct {
	// Index is the item's position in the input, from 0.
	Index int
	// Item is the item as read from the input.
	Item CreateCustomerParams
	// Outcome is OutcomeCreated, OutcomeExisted, OutcomeArchived or
	// OutcomeFailed.
	Outcome Outcome
	// Customer is the customer, unless the item failed.
	Customer *Customer
	// Err says why the item failed: a BatchItemError (matching
	// ErrValidation) for an item Commet refused, a *ValidationError for one
	// the SDK refused before sending, or the error of its whole
	// batch request (an *APIError, ErrNetwork, or the context's error).
	Err error
}

// ImportProgress is a running count of an import.
type ImportProgress struct {
	// Done is the number of items with an outcome so far:
	// Created + Existed + Failed.
	Done, Created, Existed, Failed int
	// Elapsed is the time since the import started.
	Elapsed time.Duration
}

// Rate is the number of items done per second so far.
func (p ImportProgress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

// Import creates every customer that items yields, in batches sent
// concurrently, and returns the final count. Every item read gets exactly
// one outcome, so Created + Existed + Failed is the number of items read.
//
// Import is safe to run again after a crash or a cancel: items with an ID
// that were created by the earlier run come back as Existed, never as
// duplicates. (Items without an ID cannot be told apart from new ones; give
// every item an ID in a migration.) An item is Existed when its customer's
// CreatedAt is before the start of this import, so that distinction trusts
// the clocks of this machine and of Commet to agree within a second or so.
//
// When ctx is done, Import stops reading items, reports each item read but
// not yet done as Failed with ctx's error, and returns the count with
// ctx's error. Items whose request was in flight at that moment may have
// been created all the same, their answer lost: run the import again to
// settle them (they come back as Existed). A batch refused for the API key (401 or 403) stops the
// import the same way, since no later batch could succeed. Failures of
// single items never stop it. opts apply to every request.
func (s *CustomersService) Import(ctx context.Context, items iter.Seq[CreateCustomerParams], params *ImportCustomersParams, opts ...Option) (ImportProgress, error) {
	p, err := params.withDefaults()
	if err != nil {
		return ImportProgress{}, err
	}
	if items == nil {
		return ImportProgress{}, misconfigured("Import needs an iterator of items")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	run := &importRun{
		customers: s,
		params:    p,
		opts:      callOptions(opts),
		start:     time.Now(),
		cancel:    cancel,
	}
	if p.RequestsPerSecond > 0 {
		run.limiter = rate.NewLimiter(rate.Limit(p.RequestsPerSecond), 1)
	}

	batches := make(chan importBatch, p.Concurrency)
	var workers sync.WaitGroup
	for range p.Concurrency {
		workers.Go(func() {
			for b := range batches {
				run.send(ctx, b)
			}
		})
	}
	run.read(ctx, items, batches)
	close(batches)
	workers.Wait()

	run.mu.Lock()
	defer run.mu.Unlock()
	run.progress.Elapsed = time.Since(run.start)
	return run.progress, context.Cause(ctx)
}

// Bounds of ImportParams: more than this many requests in flight, or per
// second, is no longer a client of a billing API.
const (
	maxImportConcurrency = 256
	maxRequestsPerSecond = 10_000
)

func (p *ImportCustomersParams) withDefaults() (ImportCustomersParams, error) {
	out := valueOf(p)
	switch {
	case out.BatchSize < 0 || out.BatchSize > MaxCustomerBatchSize:
		return out, misconfigured("BatchSize must be 1 to %d, or 0 for %d; got %d", MaxCustomerBatchSize, MaxCustomerBatchSize, out.BatchSize)
	case out.Concurrency < 0 || out.Concurrency > maxImportConcurrency:
		return out, misconfigured("Concurrency must be 1 to %d, or 0 for 4; got %d", maxImportConcurrency, out.Concurrency)
	case !(out.RequestsPerSecond >= 0 && out.RequestsPerSecond <= maxRequestsPerSecond): // NaN too
		return out, misconfigured("RequestsPerSecond must be 0 (no cap) to %d; got %v", maxRequestsPerSecond, out.RequestsPerSecond)
	}
	if out.BatchSize == 0 {
		out.BatchSize = MaxCustomerBatchSize
	}
	if out.Concurrency == 0 {
		out.Concurrency = 4
	}
	return out, nil
}

// importBatch is a batch of input items and their input indexes.
type importBatch struct {
	index []int // input index of each item
	items []CreateCustomerParams
}

func newImportBatch(size int) importBatch {
	return importBatch{index: make([]int, 0, size), items: make([]CreateCustomerParams, 0, size)}
}

// importRun is the shared state of one Import call.
type importRun struct {
	customers *CustomersService
	params    ImportCustomersParams
	opts      []CallOption
	start     time.Time
	limiter   *rate.Limiter // nil without RequestsPerSecond
	cancel    context.CancelCauseFunc

	mu         sync.Mutex // guards what follows, and serializes the callbacks
	progress   ImportProgress
	pauseUntil time.Time // set by a 429 with Retry-After, for every worker
}

// read groups items into batches and hands them to the workers, until the
// input ends or ctx is done.
func (r *importRun) read(ctx context.Context, items iter.Seq[CreateCustomerParams], batches chan<- importBatch) {
	b := newImportBatch(r.params.BatchSize)
	next := 0
	flush := func() bool {
		if len(b.items) == 0 {
			return true
		}
		select {
		case batches <- b:
		case <-ctx.Done():
			r.fail(b, context.Cause(ctx))
			return false
		}
		b = newImportBatch(r.params.BatchSize)
		return true
	}
	for item := range items {
		i := next
		next++
		if err := item.validate(""); err != nil { // refused alone, not with its batch
			r.fail(importBatch{index: []int{i}, items: []CreateCustomerParams{item}}, err)
		} else {
			b.index = append(b.index, i)
			b.items = append(b.items, item)
			if len(b.items) == r.params.BatchSize && !flush() {
				return
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	flush()
}

// send creates one batch and reports the outcome of each of its items.
func (r *importRun) send(ctx context.Context, b importBatch) {
	opts := append(r.opts[:len(r.opts):len(r.opts)],
		WithIdempotencyKey(newIdempotencyKey()), // one key for every retry of this batch
		withCallMiddleware(r.pace),
	)
	res, err := r.customers.CreateBatch(ctx, b.items, opts...)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden) {
			r.cancel(err) // no later batch can succeed with this key
		}
		r.fail(b, err)
		return
	}
	customers, errs := matchBatch(b.items, res)
	r.report(b, func(i int) (*Customer, error) { return customers[i], errs[i] })
}

// pace wraps every attempt of every batch, retries included: it waits for
// the rate limiter and for any pause a 429 asked for, and a 429 with
// Retry-After pauses every worker.
func (r *importRun) pace(req *http.Request, _ Attempt, next MiddlewareNext) (*http.Response, error) {
	ctx := req.Context()
	r.mu.Lock()
	pause := time.Until(r.pauseUntil)
	r.mu.Unlock()
	if err := sleep(ctx, pause); err != nil {
		return nil, err
	}
	if r.limiter != nil {
		if err := r.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	resp, err := next(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		if wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			r.mu.Lock()
			if until := time.Now().Add(wait); until.After(r.pauseUntil) {
				r.pauseUntil = until
			}
			r.mu.Unlock()
		}
	}
	return resp, err
}

func (r *importRun) fail(b importBatch, err error) {
	r.report(b, func(int) (*Customer, error) { return nil, err })
}

// report counts and reports the outcome of every item of b.
func (r *importRun) report(b importBatch, outcome func(i int) (*Customer, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range b.items {
		res := CustomerImportResult{Index: b.index[i], Item: b.items[i]}
		res.Customer, res.Err = outcome(i)
		switch {
		case res.Err != nil:
			res.Outcome, res.Customer = OutcomeFailed, nil
			r.progress.Failed++
		case res.Customer.CreatedAt.Before(r.start):
			res.Outcome = outcomeOf(res.Customer, false)
			r.progress.Existed++
		default:
			res.Outcome = OutcomeCreated
			r.progress.Created++
		}
		r.progress.Done++
		if r.params.OnResult != nil {
			r.params.OnResult(res)
		}
	}
	if r.params.OnProgress != nil {
		p := r.progress
		p.Elapsed = time.Since(r.start)
		r.params.OnProgress(p)
	}
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
