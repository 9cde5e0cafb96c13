package commet

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commet-go/commet/internal/pace"
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
	stopping  context.Context // ends when ctx does or Stop is closed: no new batch may leave
	pacer     *pace.Pacer
	seed      maphash.Seed
	callbacks chan callback // run in order by one goroutine
	// callbacksDone counts the goroutines that run callbacks: one, and a
	// second that drains the rest when a callback ends the first with
	// runtime.Goexit.
	callbacksDone *sync.WaitGroup

	abnormal     sync.Once
	panicked     any  // the *PanicError (or http.ErrAbortHandler) to panic with, if any
	goexited     bool // a goroutine of the import ended in runtime.Goexit
	callbacksOff atomic.Bool

	mu       sync.Mutex // guards what follows
	progress ImportSummary
	ids      *ledger                     // every distinct ID read
	waiting  map[*ledgerRec][]importItem // repeats of an ID whose item is in flight
	failures int                         // whole-batch failures in a row
	firstErr error
	settled  settledSet // the items settled, for Settled

	itemsRead int  // items read, when the input ended
	short     bool // the input ended before Resume.Items
}

// errStopRequested is why a graceful stop ([ImportCustomersParams].Stop)
// left items unsent.
var errStopRequested = errors.New("the import was asked to stop (ImportCustomersParams.Stop)")

// read groups items into batches and hands them to the workers, until the
// input ends or the import stops. A repeat of an ID whose item is in
// flight waits for that item's outcome, and a repeat of an ID already
// settled is settled without a request; an item that cannot be sent fails
// alone.
func (r *importRun) read(items iter.Seq[CreateCustomerParams], batches chan<- importBatch) {
	b := make(importBatch, 0, r.params.BatchSize)
	next := 0
	past := r.params.Resume.Past
	for item := range items {
		it := importItem{index: next, item: item}
		next++
		if r.skips(it.index, &past) { // settled by an earlier run
			r.resumed(it)
			continue
		}
		if r.stopping.Err() != nil {
			b = append(b, it) // read, so it gets an outcome: not sent
			break
		}
		switch err := item.validate(""); {
		case err != nil: // refused alone, not with its batch
			r.report(importBatch{it}, func(int) ImportItemResult {
				return ImportItemResult{Outcome: OutcomeFailed, Err: err}
			})
		case r.admit(it):
			b = append(b, it)
		}
		if len(b) == r.params.BatchSize {
			if !r.hand(b, batches) {
				return
			}
			b = make(importBatch, 0, r.params.BatchSize)
		}
	}
	r.itemsRead, r.short = next, next < r.params.Resume.end()
	r.hand(b, batches)
}

// hand passes b to a worker, or fails it as not sent when the import stops
// first.
func (r *importRun) hand(b importBatch, batches chan<- importBatch) bool {
	if len(b) == 0 {
		return r.stopping.Err() == nil
	}
	if r.stopping.Err() == nil {
		select {
		case batches <- b:
			return true
		case <-r.stopping.Done():
		}
	}
	r.notSent(b)
	return false
}

// send creates one batch and reports the outcome of each item; it returns
// the batches its outcome lets go (the next item of an ID that failed).
// No request leaves once the import is stopping: a request in flight goes
// on to its answer, unless ctx ends, and a batch waiting to retry ends
// (see stoppable).
func (r *importRun) send(ctx context.Context, b importBatch) []importBatch {
	if r.pacer.Acquire(r.stopping) != nil {
		return r.notSent(b)
	}
	defer r.pacer.Release()
	items := make([]CreateCustomerParams, len(b))
	for i := range b {
		items[i] = b[i].item
	}
	ctx, inFlight, release := r.stoppable(ctx)
	defer release()
	var resp Response
	clock := new(callClock)
	opts := append(r.opts[:len(r.opts):len(r.opts)],
		WithIdempotencyKey(newIdempotencyKey()), // one key for every retry of this batch
		withAnswerInto(&resp),
		pacedBy(r.pacer, r.customers.client.cfg.hooks),
		withCallMiddleware(clock.middleware),
		withCallMiddleware(inFlight),
		withRetryPolicy(importRetryPolicy),
	)
	res, err := r.customers.createBatch(ctx, items, opts) // each item was checked as it was read
	if err != nil {
		r.batchFailed(err) // not counted once the import is stopping
		return r.report(b, func(int) ImportItemResult {
			return ImportItemResult{Outcome: OutcomeFailed, Err: err, RequestID: resp.RequestID}
		})
	}
	r.mu.Lock()
	r.failures = 0
	r.mu.Unlock()
	customers, errs := matchBatch(items, res)
	return r.report(b, func(i int) ImportItemResult {
		if errs[i] != nil {
			return ImportItemResult{Outcome: OutcomeFailed, Err: errs[i], RequestID: resp.RequestID}
		}
		c := customers[i]
		return ImportItemResult{Customer: c, RequestID: resp.RequestID, Outcome: batchOutcome(c, r.params.Since, clock)}
	})
}

// stoppable gives a batch a context that a graceful stop ends whenever
// none of its requests is in flight: while it waits in the pacer for its
// turn, waits out a 429 or a backoff between attempts, or waits its turn to
// retry. A request in flight when the stop comes goes on to its answer,
// read in full, so that the stop never turns an answer on its way into a
// lost one; a success then settles the batch, and any other answer ends
// it. The call's error then says what its answers prove (see
// callState.end): not sent when none was sent or each was a 429 of the
// rate limiter, else unknown. inFlight is the middleware that marks a
// request in flight, from when it leaves the pacer until its answer's body
// is closed, and keeps any request from leaving once the batch is stopped.
func (r *importRun) stoppable(ctx context.Context) (context.Context, Middleware, func()) {
	var mu sync.Mutex // guards what follows
	flying, stopped := false, false
	ctx, cancel := context.WithCancelCause(ctx)
	halt := func() { // with mu held
		if !flying && !stopped && r.stopping.Err() != nil {
			stopped = true
			cancel(context.Cause(r.stopping))
		}
	}
	stop := context.AfterFunc(r.stopping, func() {
		mu.Lock()
		defer mu.Unlock()
		halt()
	})
	landed := func() {
		mu.Lock()
		defer mu.Unlock()
		flying = false
		halt()
	}
	inFlight := func(req *http.Request, _ Attempt, next MiddlewareNext) (*http.Response, error) {
		mu.Lock()
		if stopped || r.stopping.Err() != nil {
			halt()
			mu.Unlock()
			return nil, context.Cause(r.stopping) // this request never leaves
		}
		flying = true
		mu.Unlock()
		resp, err := next(req)
		if err != nil || resp == nil || resp.Body == nil {
			landed()
			return resp, err
		}
		resp.Body = &closeHook{ReadCloser: resp.Body, closed: sync.OnceFunc(landed)}
		return resp, nil
	}
	return ctx, inFlight, func() { stop(); cancel(nil) }
}

// closeHook calls closed once its body is closed.
type closeHook struct {
	io.ReadCloser
	closed func()
}

func (c *closeHook) Close() error {
	err := c.ReadCloser.Close()
	c.closed()
	return err
}

// importRetryPolicy is how a batch retries: as any call for failures, but
// a 429 is waited out apart from them, each wait cut to
// maxImportRetryAfter (the pacer pauses every batch for as long), until the
// waits of one batch add up to importPatience or number maxImport429s.
func importRetryPolicy(s *settings) retryPolicy {
	p := s.single()
	p.maxRetryAfter, p.rateLimits, p.patience, p.maxRateLimited = maxImportRetryAfter, true, importPatience, maxImport429s
	return p
}

// batchFailed counts a whole-batch failure, and stops the import when no
// later batch can succeed: the key was refused, or the failure budget is
// spent. A failure after the import began to stop is not counted.
func (r *importRun) batchFailed(err error) {
	if r.stopping.Err() != nil {
		return
	}
	r.mu.Lock()
	r.failures++
	n := r.failures
	r.mu.Unlock()
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden):
		r.cancel(&haltError{err})
	case n >= r.params.FailureBudget:
		r.cancel(&haltError{&importStopped{failures: n, last: err}})
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
func (r *importRun) notSent(b importBatch) []importBatch {
	err := fmt.Errorf("%w: %w", ErrNotSent, contextError(r.stopping))
	for queue := []importBatch{b}; len(queue) > 0; {
		b, queue = queue[0], queue[1:]
		queue = append(queue, r.report(b, func(int) ImportItemResult {
			return ImportItemResult{Outcome: OutcomeFailed, Err: err}
		})...)
	}
	return nil
}

// report settles the items of b with their outcome, and the repeats that
// waited for them, counts them, and hands them to the callbacks. It
// returns the batches of items that now carry an ID whose item failed.
func (r *importRun) report(b importBatch, outcome func(i int) ImportItemResult) []importBatch {
	results := make([]ImportItemResult, 0, len(b))
	var retry importBatch
	r.mu.Lock()
	settle := func(it importItem, res ImportItemResult) {
		res.Index, res.Item = it.index, it.item
		switch {
		case res.held != nil:
			res.Differs = r.differs(&it.item, *res.held)
			res.held = nil
		case res.Customer != nil: // whatever the outcome: an earlier run may have created it with other data
			res.Differs = r.differs(&it.item, r.fingerprintOf(res.Customer))
		}
		if res.Outcome == OutcomeFailed && r.firstErr == nil {
			r.firstErr = res.Err
		}
		r.progress.count(&res)
		r.settled.settle(res.Index, &res)
		results = append(results, res)
	}
	var repeats []ImportItemResult
	var waited importBatch
	for i, it := range b {
		res := outcome(i)
		if it.item.ID != "" && res.held == nil {
			rep, w, next := r.settleID(it, &res)
			repeats, waited, retry = append(repeats, rep...), append(waited, w...), append(retry, next...)
		}
		settle(it, res)
	}
	for k := range repeats {
		settle(waited[k], repeats[k])
	}
	r.progress.Settled = r.settled.at.clone()
	progress := r.progress
	progress.Elapsed = time.Since(r.start)
	r.deliver(results, progress) // under the lock, so reports queue in the order they were counted
	r.mu.Unlock()
	return r.batchesOf(retry)
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

// matchBatch pairs each item with its customer or its error. Commet lists
// the successful customers in input order, skipping the failed items; when
// an answer does not line up that way, items are matched by ID, and an
// item the answer does not account for fails with [ErrBadResponse] rather
// than being lost.
func matchBatch(items []CreateCustomerParams, res *CreateBatchResult) ([]*Customer, []error) {
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

// deliver hands the results of one report, then the progress after it, to
// the callbacks, which run on their own goroutine in the order given.
func (r *importRun) deliver(results []ImportItemResult, progress ImportSummary) {
	if on := r.params.OnResult; on != nil {
		for _, res := range results {
			r.callbacks <- callback{"OnResult", func() { on(res) }}
		}
	}
	if on := r.params.OnProgress; on != nil && len(results) > 0 {
		r.callbacks <- callback{"OnProgress", func() { on(progress) }}
	}
}

// runCallbacks runs the callbacks in the order they were queued, until the
// queue is closed. Once one has panicked (or ended in runtime.Goexit) no
// more are run, but the queue is still drained, so that no worker waits on
// it.
func (r *importRun) runCallbacks() {
	for cb := range r.callbacks {
		if r.callbacksOff.Load() {
			continue
		}
		r.guard(cb.where, true, cb.f)
	}
}

// callback is a call of OnResult or OnProgress, queued.
type callback struct {
	where string // its name, for PanicError
	f     func()
}

// guard runs f, and makes a panic or a runtime.Goexit in it the import's
// abnormal end: the import stops at once, and Import goes on with the
// panic (or the Goexit) in the caller's goroutine once every goroutine of
// the import is done. where names f for [PanicError]; callback says f runs
// on the callbacks' goroutine, whose queue must go on being drained.
func (r *importRun) guard(where string, callback bool, f func()) (normal bool) {
	defer func() {
		if normal {
			return
		}
		v := recover() // nil: runtime.Goexit (panic(nil) recovers a *runtime.PanicNilError)
		if callback {
			r.callbacksOff.Store(true)
			if v == nil { // this goroutine is ending: another drains the queue
				r.callbacksDone.Go(func() {
					for range r.callbacks {
					}
				})
			}
		}
		r.abnormal.Do(func() {
			switch {
			case v == nil:
				r.goexited = true
			case v == any(http.ErrAbortHandler): // the panic value itself, compared as net/http compares it
				r.panicked = v
			default:
				r.panicked = &PanicError{Value: v, Where: where, Stack: debug.Stack()}
			}
		})
		r.cancel(&haltError{errors.New("commet: Import stopped: a function it ran panicked")})
	}()
	f()
	return true
}

// sendGuarded sends b as send does, and when something on the way panics
// (a [Middleware], say) fails its items as unknown, since their request may
// have left: Import panics in the end, but every item read still gets its
// outcome. It returns the batches send would.
func (r *importRun) sendGuarded(ctx context.Context, b importBatch) (next []importBatch) {
	if r.guard("a worker (a Middleware, say)", false, func() { next = r.send(ctx, b) }) {
		return next
	}
	err := fmt.Errorf("%w: commet: POST /customers/batch: something Import ran panicked while the batch was on its way", ErrOutcomeUnknown)
	return r.report(b, func(int) ImportItemResult { return ImportItemResult{Outcome: OutcomeFailed, Err: err} })
}

// reraise goes on with the panic or Goexit of a goroutine of the import,
// if one ended so, in the caller's goroutine. Called once every goroutine
// of the import is done.
func (r *importRun) reraise() {
	switch {
	case r.panicked != nil:
		panic(r.panicked)
	case r.goexited:
		runtime.Goexit()
	}
}
