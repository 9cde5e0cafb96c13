package commet

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
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
	// Since, when set, is when the migration began, on Commet's clock:
	// a customer whose CreatedAt is at or after it counts as
	// OutcomeCreated, created by this migration, in whichever run. Record
	// the start once, before the first run, and pass it on every run.
	Since time.Time
	// Stop, when closed, stops the import gracefully: no more items are
	// read, the batches already sent finish and report their outcomes,
	// and the items read but not sent fail with ErrNotSent. Ending ctx
	// still stops at once.
	Stop <-chan struct{}
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

// ErrOutcomeUnknown matches the error of an item whose request was sent but
// whose answer never came (the context ended, the network failed after the
// retries, an attempt timed out): the customer may exist at Commet. The
// error also matches the cause. Run the import again to settle such items;
// an item never both ErrNotSent and ErrOutcomeUnknown.
var ErrOutcomeUnknown = errors.New("commet: outcome unknown")

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
	// Unknown counts the failed items whose request was sent but whose
	// answer never came (ErrOutcomeUnknown).
	Unknown int
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
