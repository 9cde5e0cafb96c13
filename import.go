package commet

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"sync"
	"time"

	"github.com/commet-go/commet/internal/pace"
)

// ImportCustomersParams tune Import. The zero value (or nil) imports in
// batches of 100, paced to Commet's rate limit, and stops after 5 batches
// in a row fail.
type ImportCustomersParams struct {
	// BatchSize is the number of customers per request, 1 to
	// [MaxCustomerBatchSize] (default MaxCustomerBatchSize).
	BatchSize int
	// Concurrency fixes how many batches may be in progress at once, 1 to
	// 256, whatever Commet answers. Zero, the default, adapts it: Import
	// starts with 2, raises it while latency rather than Commet's rate
	// limit bounds throughput, keeps it near what the pace needs once
	// Commet's limit shows, and halves it when Commet fails (5xx, timeouts).
	Concurrency int
	// RequestsPerSecond caps the rate of requests, retries included; 0
	// means no cap of your own (Import still paces itself to Commet's).
	RequestsPerSecond float64
	// FailureBudget is how many batches in a row may fail as a whole
	// (after their retries) before Import stops: nothing suggests the next
	// one would fare better. 0 means 5. Items refused one by one are not
	// batch failures, and a 429 is waited out, never counted (until one
	// batch has waited 15 minutes, or 500 times).
	FailureBudget int
	// OnResult, if set, is called once for every item read from the input,
	// in no particular order, from one goroutine at a time (never while a
	// worker waits on it, unless it falls a few thousand results behind).
	OnResult func(ImportItemResult)
	// OnProgress, if set, is called after each batch and each item settled
	// alone (refused before sending, or a repeat settled without a
	// request), from the goroutine that calls OnResult, in the order the
	// outcomes were counted: the counts it sees only ever grow.
	OnProgress func(ImportSummary)
	// Since, when set, is when the migration began, on Commet's clock: a
	// customer whose CreatedAt (Commet's clock) is at or after it counts as
	// [OutcomeCreated], created by this migration in whichever run, so that
	// the last run's report is exact however many runs came before (a
	// kill -9 leaves no process to remember what it created). Record it
	// once, before the first run, keep it, and pass it on every run. Take
	// it from Commet's clock: the Date header of an answer received before
	// the first run ([Response].Header, through [WithResponseInto]; whole
	// seconds, so never after the moment), as commet customers import
	// --state-file does. time.Now() serves only when this machine's clock is
	// synchronized; subtract a margin for its error, since a Since later
	// than the truth counts the migration's first customers as existed.
	Since time.Time
	// Stop, when closed, stops the import gracefully, about a round trip
	// later: no more items are read and no more requests leave. A request
	// in flight gets its answer, and a batch it settles reports its true
	// outcomes. Every wait ends at once: a batch waiting for its turn, for
	// a 429's Retry-After or for the backoff before a retry is not sent
	// again. Its items fail with [ErrNotSent] when nothing of the batch can
	// have been done (it was never sent, or its only answers were 429s of
	// Commet's rate limiter), and with [ErrOutcomeUnknown] when an attempt
	// may have been acted on (its answer was lost, or was a 5xx). The
	// items read but not sent fail with ErrNotSent. Ending ctx still stops
	// at once, cutting the requests in flight (a second Ctrl-C, say).
	Stop <-chan struct{}
	// Resume, when it holds settled items, continues an earlier run of
	// the same migration from its checkpoint ([ImportSummary].Settled, as
	// the earlier run's last OnProgress saw it, or its return): the items
	// it holds as settled (the first Resume.Items, and the ranges of
	// Resume.Past) are read from items (so an index is still a position in
	// the input) but neither sent nor reported to OnResult, and the counts
	// start from Resume's. Only the other items are sent: what was left.
	// Pass the same input, and Since, as the earlier run; if the input ends
	// before the last item Resume holds, Import returns an error.
	Resume ImportCheckpoint
	// ResumeFailed says whether an item that Resume holds as settled
	// failed in the earlier runs (Resume counts how many did), so that a
	// later item with the same ID is sent in its place, as one run would
	// have; required when Resume counts failures. It is called once for
	// each such item with an ID, from the goroutine that runs items.
	ResumeFailed func(index int) bool
}

// Bounds and defaults of [ImportCustomersParams].
const (
	maxImportConcurrency = 256
	maxRequestsPerSecond = 10_000
	defaultFailureBudget = 5
	// maxImportRetryAfter is the longest Retry-After Import waits out: an
	// import can wait longer than a sign-up handler.
	maxImportRetryAfter = 10 * time.Minute
	// maxImport429s is how many 429s one batch waits out before it fails.
	maxImport429s = 500
	// importPatience is how long one batch waits out 429s, in all,
	// before it fails.
	importPatience = 15 * time.Minute
	callbackBuffer = 4096
)

// PanicError is what Import panics with when a function it runs on a
// goroutine of its own panicked: a [Middleware] (or anything else on a
// worker) or OnResult or OnProgress. A panic there would otherwise end the
// process from a goroutine no caller can recover; Import instead stops the
// import at once, waits until every goroutine of it is done, and panics
// again in the caller's goroutine, where a recover (as net/http's, for a
// handler) can catch it. The stack of the goroutine the panic came from
// is kept, since the caller's is not where it happened. A panic with
// http.ErrAbortHandler goes on as it is, so that net/http still aborts
// the request quietly; a runtime.Goexit there (t.FailNow in a callback,
// say) goes on as a Goexit of the caller's goroutine. A panic of the
// items iterator, which runs in the caller's goroutine, goes on as it is,
// once every goroutine of the import is done.
type PanicError struct {
	// Value is what the function panicked with.
	Value any
	// Where names what panicked: "OnResult", "OnProgress", or "a worker
	// (a [Middleware], say)".
	Where string
	// Stack is the stack of the goroutine that panicked, as
	// runtime/debug.Stack gives it.
	Stack []byte
}

// Error returns the panic's value, what panicked, and the stack of the
// goroutine it came from, which a crash prints under it.
func (e *PanicError) Error() string {
	return fmt.Sprintf("commet: Import: panic in %s: %v\n\n%s", e.Where, e.Value, e.Stack)
}

// Unwrap returns the panic's value when it is an error (a runtime.Error,
// say), for errors.Is and errors.As.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// ImportItemResult is the outcome of one item of an import.
type ImportItemResult struct {
	// Index is the item's position in the input, from 0.
	Index int
	// Item is the item as read from the input.
	Item CreateCustomerParams
	// Outcome says what happened to the item.
	Outcome Outcome
	// Customer is the customer Commet holds for the item; nil when the
	// item failed, and for a repeat (the result of RepeatOf holds it).
	Customer *Customer
	// RepeatOf is, for [OutcomeRepeated], the index of the earlier item with
	// the same ID, whose outcome settled the customer.
	RepeatOf int
	// Differs names, by wire name, the fields whose value in Item differs
	// from what Commet holds, whatever the outcome: Commet kept its own
	// values. For a customer this run created it is empty, but a customer
	// created (with Since) by an earlier run of the migration, from other
	// data (a typo fixed since, say), shows what Commet kept. Values are
	// compared as Commet stores them: without surrounding space, emails
	// without case, metadata as the JSON Commet reads back; a field the item
	// leaves empty is not compared, except the email. The address is not
	// compared, since Commet does not return it.
	Differs []string
	// RequestID is the x-request-id of the batch answer that settled the
	// item, when one came.
	RequestID string
	// Err says why the item failed: a *[BatchItemError] for an item Commet
	// refused (errors.As finds its *[ValidationError]), a *ValidationError for
	// one the SDK refused before sending, the error of its whole batch
	// request (an *[APIError], [ErrNetwork], the context's error), one
	// matching [ErrOutcomeUnknown] for an item that may have been created
	// though no answer says so (it may exist), or one matching [ErrNotSent]
	// for an item of which nothing was done (never sent, or answered only
	// with 429s of the rate limiter): run the import again for it.
	Err error

	held *fingerprint // of the customer a repeat settled without a request repeats
}

// ImportSummary counts the outcomes of an import: [CustomersService.Import]
// returns the final count, and [ImportCustomersParams].OnProgress sees it
// grow. One type serves both, since a count so far and a final count hold
// the same numbers. Done is the sum of the outcomes: Created + Existed +
// Archived + Repeated + Failed; NotSent and Unknown are parts of Failed.
type ImportSummary struct {
	// Done is the number of items with an outcome so far.
	Done int
	// Created, Existed, Archived, Repeated and Failed count each outcome.
	Created, Existed, Archived, Repeated, Failed int
	// NotSent counts the failed items of which nothing was done
	// ([ErrNotSent]).
	NotSent int
	// Unknown counts the failed items whose request was sent but whose
	// answer never came ([ErrOutcomeUnknown]).
	Unknown int
	// Elapsed is the time since the import started.
	Elapsed time.Duration
	// Settled is which items are settled: a later run given it as
	// [ImportCustomersParams].Resume sends only the others. Keep it where
	// a kill -9 does not lose it, after each OnProgress: see
	// [ImportCheckpoint].
	Settled ImportCheckpoint
	// Resumed is the number of items that an earlier run had settled
	// ([ImportCustomersParams].Resume): read, not sent, and counted
	// above with the earlier run's outcomes.
	Resumed int
}

// Rate is the number of items done per second so far, by this run (the
// items Resumed are not counted).
func (p ImportSummary) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done-p.Resumed) / p.Elapsed.Seconds()
}

func (p *ImportSummary) count(r *ImportItemResult) {
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
		switch {
		case errors.Is(r.Err, ErrNotSent):
			p.NotSent++
		case errors.Is(r.Err, ErrOutcomeUnknown):
			p.Unknown++
		}
	}
}

// Import creates every customer that items yields, in batches, and returns
// the final count. Every item read gets exactly one outcome, reported to
// OnResult, and each outcome says only what Commet's answers prove:
//
//   - [OutcomeArchived] for a customer that is archived: no create makes
//     one, so it existed.
//   - [OutcomeExisted] for a customer whose CreatedAt lies before its
//     batch's first request left, on Commet's clock (or, with Since,
//     before Since); [OutcomeCreated] otherwise. A batch answer has no
//     status per item, so time decides: Import places the moment on
//     Commet's clock with the answer's own Date header, at the earliest
//     it can have been there (Date has whole seconds; each answer is
//     judged by its own Date, so one server with a fast clock cannot sway
//     the others' outcomes). A customer someone else created within about
//     a second and a round trip before the batch counts as created. (A
//     server that sends no Date is compared with this machine's clock.)
//   - [OutcomeRepeated] for an item whose ID an earlier item of the same
//     input carries: it waits while that item is in flight, and once that
//     item settled the customer it is settled without a request, since a
//     create never updates; Differs compares it with that customer. If the
//     earlier item failed, the repeat is sent in its place.
//   - [OutcomeFailed], with Err saying why: among them, [ErrNotSent] for an
//     item of which nothing was done (never sent, or answered only with
//     429s), and [ErrOutcomeUnknown] for one that may have been created
//     though no answer says so (its answer was lost, say), which may exist
//     at Commet.
//
// Import is safe to run again after a crash, a cancel or a kill -9: items
// with an ID that an earlier run created come back as existed, never as
// duplicates, and as created when Since is the migration's start. (Items
// without an ID cannot be told apart from new ones: give every item an ID
// in a migration.) Such a run still sends every item again; to send only
// what is left, keep the checkpoint of each OnProgress
// ([ImportSummary].Settled) and start the next run from it
// ([ImportCustomersParams].Resume): it reads the items that were settled
// but sends none of them. The ID ledger keeps every distinct ID exactly, in
// about 30 bytes each for IDs of 12 bytes whose customers have an email and
// a name, outside the Go heap, given back when Import returns; everything
// else streams. examples/migrate peaks at 55 MB of resident memory for a
// million IDs (a raw net/http loop sending the same requests: 13 MB).
//
// Requests are paced to Commet's rate limit (see [ImportCustomersParams]):
// every request, retries included, waits for its turn, and a 429 pauses
// all of them for the wait it asks for (Retry-After, or the reset of a
// spent RateLimit-Remaining), up to 10 minutes at a time. A 429 is waited
// out apart from the retries of [WithMaxRetries], until one batch has waited
// 15 minutes or 500 times; other failures are retried as WithMaxRetries
// says, each batch with one Idempotency-Key, so no retry creates anything
// twice.
//
// Import stops at once when ctx is done, when the API key is refused (401
// or 403), or when FailureBudget batches in a row have failed; and
// gracefully when Stop is closed (see [ImportCustomersParams].Stop). Items
// it read but did not send fail with [ErrNotSent], items in flight when it
// stopped at once with [ErrOutcomeUnknown]; an item's error matches the
// context's error only when ctx ended, and never the sentinels of the
// failures of other batches that stopped the import (its message names
// them). Import returns an error matching the cause (and the context's
// error, when ctx ended). An import in which every item failed returns an
// error too.
//
// A panic of the items iterator, of a [Middleware], of OnResult or of
// OnProgress stops the import at once and goes on in the caller's
// goroutine once every goroutine of the import is done (see [PanicError]),
// where a recover can catch it. Every item read still gets its outcome
// (the items of a batch on its way when a Middleware panicked are
// [ErrOutcomeUnknown]), but no callback runs after one panicked. opts apply
// to every request.
func (s *CustomersService) Import(ctx context.Context, items iter.Seq[CreateCustomerParams], params *ImportCustomersParams, opts ...Option) (summary ImportSummary, err error) {
	p, err := params.withDefaults()
	if err != nil {
		return ImportSummary{}, err
	}
	if items == nil {
		return ImportSummary{}, misconfigured("Import needs an iterator of items")
	}
	callOpts := callOptions(opts)
	if _, err := s.client.newCallConfig(callOpts); err != nil {
		return ImportSummary{}, err
	}
	if len(s.client.cfg.hooks) > 0 {
		var end func(ImportSummary, error)
		ctx, end = s.client.importStarted(ctx)
		defer func() { end(summary, err) }()
	}
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopping, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	if p.Stop != nil {
		go func() {
			select {
			case <-p.Stop:
				stop(&haltError{errStopRequested})
			case <-stopping.Done():
			}
		}()
	}
	run := &importRun{
		customers: s,
		params:    p,
		opts:      callOpts,
		start:     time.Now(),
		cancel:    cancel,
		stopping:  stopping,
		pacer:     newPacer(p),
		seed:      maphash.MakeSeed(),
		waiting:   make(map[*ledgerRec][]importItem),
		callbacks: make(chan callback, callbackBuffer),
	}
	run.progress = p.Resume.summary()
	run.settled.at = p.Resume.clone()
	var callbacksDone sync.WaitGroup
	run.ids = newLedger(func(id string) uint64 { return maphash.String(run.seed, id) })
	defer run.ids.free() // after every goroutine of the import is done, whatever the way out (the defers below run first)
	run.callbacksDone = &callbacksDone
	callbacksDone.Go(run.runCallbacks)

	workers := p.Concurrency
	if workers == 0 {
		workers = pace.MaxConcurrency
	}
	batches := make(chan importBatch)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range batches {
				for queue := []importBatch{b}; len(queue) > 0; {
					b, queue = queue[0], queue[1:]
					queue = append(queue, run.sendGuarded(ctx, b)...)
				}
			}
		})
	}
	read := false
	defer func() {
		if !read { // the items iterator panicked: end every goroutine before the panic goes on
			cancel(&haltError{errors.New("commet: the items iterator panicked")})
			close(batches)
			wg.Wait()
			close(run.callbacks)
			callbacksDone.Wait()
		}
	}()
	run.read(items, batches)
	read = true
	close(batches)
	wg.Wait()
	close(run.callbacks)
	callbacksDone.Wait()
	run.reraise() // a panic or Goexit of a worker or a callback goes on here, now that all are done

	run.mu.Lock()
	defer run.mu.Unlock()
	pr := run.progress
	pr.Elapsed = time.Since(run.start)
	switch {
	case parent.Err() != nil:
		return pr, fmt.Errorf("commet: import stopped: %w", contextError(parent))
	case ctx.Err() != nil:
		return pr, haltReason(context.Cause(ctx)) // the key was refused, or the failure budget ran out
	case stopping.Err() != nil && pr.NotSent > 0:
		return pr, fmt.Errorf("commet: import stopped gracefully, %d items not sent: %w: %w", pr.NotSent, ErrNotSent, errStopRequested)
	case run.short:
		return pr, fmt.Errorf("commet: %w (%d items, where Resume ends at %d)", errShortInput, run.itemsRead, p.Resume.end())
	case pr.Done > 0 && pr.Failed == pr.Done:
		return pr, fmt.Errorf("commet: all %d items failed; the first: %w", pr.Done, run.firstErr)
	}
	return pr, nil
}

// haltReason is why Import halted, from its context's cause.
func haltReason(cause error) error {
	if h := (*haltError)(nil); errors.As(cause, &h) {
		return h.reason
	}
	return cause
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
	case out.Resume.summary().Failed > 0 && out.ResumeFailed == nil:
		return out, misconfigured("Resume counts %d failed items: ResumeFailed must say which", out.Resume.summary().Failed)
	}
	if err := out.Resume.check(); err != nil {
		return out, err
	}
	if out.BatchSize == 0 {
		out.BatchSize = MaxCustomerBatchSize
	}
	if out.FailureBudget == 0 {
		out.FailureBudget = defaultFailureBudget
	}
	return out, nil
}
