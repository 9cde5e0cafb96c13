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

// ImportCustomersParams tune Import. The zero value (or nil) imports in
// batches of 100, paced to Commet's rate limit, and stops after 5 batches
// in a row fail.
type ImportCustomersParams struct {
	// BatchSize is the number of customers per request, 1 to
	// MaxCustomerBatchSize (default MaxCustomerBatchSize).
	BatchSize int
	// Concurrency fixes how many batch requests may be in flight at once,
	// 1 to 256. Zero, the default, adapts it: Import starts with 4, raises
	// it while latency rather than Commet's rate limit bounds throughput,
	// and lowers it when Commet answers 429.
	Concurrency int
	// RequestsPerSecond caps the rate of requests, retries included; 0
	// means no cap of your own (Import still paces itself to Commet's).
	RequestsPerSecond float64
	// FailureBudget is how many batches in a row may fail as a whole
	// (after their retries) before Import stops: nothing suggests the next
	// one would fare better. 0 means 5. Items refused one by one are not
	// batch failures, and a 429 is waited out, never counted.
	FailureBudget int
	// OnResult, if set, is called once for every item read from the input,
	// in no particular order, from one goroutine at a time (never while a
	// worker waits on it, unless it falls a few thousand results behind).
	OnResult func(CustomerImportResult)
	// OnProgress, if set, is called after each batch, from the goroutine
	// that calls OnResult.
	OnProgress func(ImportProgress)
}

// Bounds and defaults of ImportCustomersParams.
const (
	maxImportConcurrency = 256
	maxRequestsPerSecond = 10_000
	defaultFailureBudget = 5
	// maxImportRetryAfter is the longest Retry-After Import waits out: an
	// import can wait longer than a sign-up handler.
	maxImportRetryAfter = 10 * time.Minute
	// importPatience is how long one batch waits out 429s, in all,
	// before it fails.
	importPatience = 15 * time.Minute
	callbackBuffer = 4096
)

// ErrNotSent matches the error of an item Import did not send, because it
// stopped first (its context ended, or its failure budget ran out); the
// error also matches the cause. Run the import again for such items.
var ErrNotSent = errors.New("commet: not sent")

// CustomerImportResult is the outcome of one item of an import.
type CustomerImportResult struct {
	// Index is the item's position in the input, from 0.
	Index int
	// Item is the item as read from the input.
	Item CreateCustomerParams
	// Outcome says what happened to the item.
	Outcome Outcome
	// Customer is the customer Commet holds for the item; nil when the
	// item failed.
	Customer *Customer
	// RepeatOf is, for OutcomeRepeated, the index of the earlier item with
	// the same ID, whose outcome settled the customer.
	RepeatOf int
	// Differs names, by wire name, the fields whose value in Item differs
	// from what Commet holds, for an item that did not create its customer
	// (existed, archived or repeated): Commet kept its own values. The
	// address is not compared, since Commet does not return it.
	Differs []string
	// RequestID is the x-request-id of the batch answer that settled the
	// item, when one came.
	RequestID string
	// Err says why the item failed: a BatchItemError for an item Commet
	// refused (errors.As finds its *ValidationError), a *ValidationError for
	// one the SDK refused before sending, the error of its whole batch
	// request (an *APIError, ErrNetwork, the context's error), or one
	// matching ErrNotSent for an item not sent.
	Err error
}

// ImportProgress is a running count of an import. Done is the sum of the
// outcomes: Created + Existed + Archived + Repeated + Failed.
type ImportProgress struct {
	// Done is the number of items with an outcome so far.
	Done int
	// Created, Existed, Archived, Repeated and Failed count each outcome.
	Created, Existed, Archived, Repeated, Failed int
	// NotSent counts the failed items that were never sent (ErrNotSent).
	NotSent int
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

func (p *ImportProgress) count(r *CustomerImportResult) {
	p.Done++
	switch r.Outcome {
	case OutcomeCreated:
		p.Created++
	case OutcomeExisted:
		p.Existed++
	case OutcomeArchived:
		p.Archived++
	case OutcomeRepeated:
		p.Repeated++
	default:
		p.Failed++
		if errors.Is(r.Err, ErrNotSent) {
			p.NotSent++
		}
	}
}

// Import creates every customer that items yields, in batches, and returns
// the final count. Every item read gets exactly one outcome, reported to
// OnResult:
//
//   - OutcomeCreated, OutcomeExisted or OutcomeArchived, as Commet says:
//     an item created its customer when the customer's CreatedAt is not
//     before the batch request reached Commet, which Import reads off the
//     answer's Date header, both times by Commet's clock. (A server
//     that sends no Date is compared with this machine's clock instead.)
//   - OutcomeRepeated for an item whose ID an earlier item of the same input
//     already settled; it is sent once that earlier item's outcome is
//     known, and Differs says whether its data differs from what Commet
//     holds. Import remembers each distinct ID as an 8-byte hash and an
//     index: some 20 to 40 bytes per ID.
//   - OutcomeFailed, with Err saying why.
//
// Import is safe to run again after a crash or a cancel: items with an ID
// that were created by the earlier run come back as existed, never as
// duplicates. (Items without an ID cannot be told apart from new ones:
// give every item an ID in a migration.)
//
// Requests are paced to Commet's rate limit (see ImportCustomersParams):
// every request, retries included, waits for its turn, and a 429 pauses
// all of them for its Retry-After. A 429 is waited out however often it
// comes (until one batch has waited 15 minutes in all); other failures are
// retried as WithMaxRetries says, each batch with one Idempotency-Key, so
// no retry creates anything twice.
//
// Import stops when ctx is done, when the API key is refused (401 or 403),
// or when FailureBudget batches in a row have failed: the items it read but
// did not send fail with ErrNotSent, and it returns an error matching the
// cause. Items in flight when it stops may have been created all the same,
// their answer lost: run the import again to settle them. An import in
// which every item failed returns an error too. opts apply to every
// request.
func (s *CustomersService) Import(ctx context.Context, items iter.Seq[CreateCustomerParams], params *ImportCustomersParams, opts ...Option) (ImportProgress, error) {
	p, err := params.withDefaults()
	if err != nil {
		return ImportProgress{}, err
	}
	if items == nil {
		return ImportProgress{}, misconfigured("Import needs an iterator of items")
	}
	callOpts := callOptions(opts)
	if _, err := s.client.newCallConfig(callOpts); err != nil {
		return ImportProgress{}, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	run := &importRun{
		customers: s,
		params:    p,
		opts:      callOpts,
		start:     time.Now(),
		cancel:    cancel,
		pacer:     newPacer(p.Concurrency, p.RequestsPerSecond),
		seed:      maphash.MakeSeed(),
		ids:       make(map[uint64]idState),
		waiting:   make(map[uint64][]importItem),
		callbacks: make(chan func(), callbackBuffer),
	}
	var callbacksDone sync.WaitGroup
	callbacksDone.Go(func() {
		for f := range run.callbacks {
			f()
		}
	})

	workers := p.Concurrency
	if workers == 0 {
		workers = maxAdaptiveInFlight
	}
	batches := make(chan importBatch)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range batches {
				for queue := []importBatch{b}; len(queue) > 0; {
					b, queue = queue[0], queue[1:]
					queue = append(queue, run.send(ctx, b)...)
				}
			}
		})
	}
	run.read(ctx, items, batches)
	close(batches)
	wg.Wait()
	close(run.callbacks)
	callbacksDone.Wait()

	run.mu.Lock()
	defer run.mu.Unlock()
	run.progress.Elapsed = time.Since(run.start)
	if err := context.Cause(ctx); err != nil {
		return run.progress, err
	}
	if pr := run.progress; pr.Done > 0 && pr.Failed == pr.Done {
		return pr, fmt.Errorf("commet: all %d items failed; the first: %w", pr.Done, run.firstErr)
	}
	return run.progress, nil
}

func (p *ImportCustomersParams) withDefaults() (ImportCustomersParams, error) {
	out := valueOf(p)
	switch {
	case out.BatchSize < 0 || out.BatchSize > MaxCustomerBatchSize:
		return out, misconfigured("BatchSize must be 1 to %d, or 0 for %d; got %d", MaxCustomerBatchSize, MaxCustomerBatchSize, out.BatchSize)
	case out.Concurrency < 0 || out.Concurrency > maxImportConcurrency:
		return out, misconfigured("Concurrency must be 1 to %d, or 0 to adapt it; got %d", maxImportConcurrency, out.Concurrency)
	case !(out.RequestsPerSecond >= 0 && out.RequestsPerSecond <= maxRequestsPerSecond): // NaN too
		return out, misconfigured("RequestsPerSecond must be 0 (no cap) to %d; got %v", maxRequestsPerSecond, out.RequestsPerSecond)
	case out.FailureBudget < 0:
		return out, misconfigured("FailureBudget must be positive, or 0 for %d; got %d", defaultFailureBudget, out.FailureBudget)
	}
	if out.BatchSize == 0 {
		out.BatchSize = MaxCustomerBatchSize
	}
	if out.FailureBudget == 0 {
		out.FailureBudget = defaultFailureBudget
	}
	return out, nil
}

// importItem is one input item and its input index.
type importItem struct {
	index int
	item  CreateCustomerParams
}

// importBatch is a batch of input items.
type importBatch []importItem

// idState is what Import remembers of an ID: the index of the item that
// holds it, and whether that item is in flight, settled the customer, or
// failed.
type idState uint64

const (
	idInFlight = iota
	idSettled
	idFailed
)

func newIDState(index, state int) idState { return idState(uint64(index)<<2 | uint64(state)) }
func (s idState) index() int              { return int(s >> 2) }
func (s idState) state() int              { return int(s & 3) }

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

// admit reports whether item may go in a batch now; a repeat of an ID
// whose item is in flight waits for it instead.
func (r *importRun) admit(it importItem) bool {
	if it.item.ID == "" {
		return true
	}
	h := maphash.String(r.seed, it.item.ID)
	r.mu.Lock()
	defer r.mu.Unlock()
	st, seen := r.ids[h]
	switch {
	case !seen || st.state() == idFailed:
		r.ids[h] = newIDState(it.index, idInFlight)
	case st.state() == idInFlight:
		r.waiting[h] = append(r.waiting[h], it)
		return false
	}
	return true
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

// serverClock places this machine's moments on Commet's clock, so that an
// import tells the customers it created from those that existed by
// Commet's own clock, however far this machine's is off. Every answer's
// Date (Commet's time, to the second) was written between the request
// leaving and its answer arriving, so Date minus the arrival time is a
// lower bound of the offset between the clocks; the largest bound seen is
// within about a round trip of the truth once answers have crossed a few
// second boundaries.
type serverClock struct {
	mu    sync.Mutex
	known bool
	low   time.Duration // Commet's clock minus this machine's, at least
}

// middleware records when the first attempt of a call leaves, in *first,
// and learns the offset from every answer.
func (c *serverClock) middleware(first *time.Time) Middleware {
	return func(req *http.Request, a Attempt, next MiddlewareNext) (*http.Response, error) {
		if a.Number == 1 {
			*first = time.Now()
		}
		resp, err := next(req)
		if err == nil {
			c.observe(resp.Header.Get("Date"), time.Now())
		}
		return resp, err
	}
}

func (c *serverClock) observe(date string, arrived time.Time) {
	d, err := http.ParseTime(date)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if off := d.Sub(arrived); !c.known || off > c.low {
		c.known, c.low = true, off
	}
}

// commet returns the local moment t on Commet's clock, never later than it
// was there; with no Date seen yet, on this machine's clock.
func (c *serverClock) commet(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return t.Add(c.low)
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

// settleID updates what is known of the item's ID with its outcome, turns a
// repeat into OutcomeRepeated, and returns the repeats its outcome lets go.
// Called with r.mu held.
func (r *importRun) settleID(it importItem, res *CustomerImportResult) importBatch {
	h := maphash.String(r.seed, it.item.ID)
	st, seen := r.ids[h]
	if !seen {
		return nil // never admitted: refused before sending
	}
	ok := res.Outcome != OutcomeFailed
	switch {
	case st.state() == idSettled && st.index() != it.index:
		if ok {
			res.Outcome, res.RepeatOf = OutcomeRepeated, st.index()
		}
		return nil
	case st.state() != idInFlight || st.index() != it.index:
		return nil
	}
	waiting := r.waiting[h]
	delete(r.waiting, h)
	switch {
	case ok:
		r.ids[h] = newIDState(it.index, idSettled)
		return waiting // now repeats of a settled ID
	case len(waiting) > 0:
		r.ids[h] = newIDState(waiting[0].index, idInFlight) // the next item carries the ID
		if len(waiting) > 1 {
			r.waiting[h] = waiting[1:]
		}
		return waiting[:1]
	default:
		r.ids[h] = newIDState(it.index, idFailed)
		return nil
	}
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
