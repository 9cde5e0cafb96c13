package customers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
)

// syncWorkers is how many updates or archives are in flight at once when
// --concurrency does not say: Commet's pacing is Import's own, so these
// few requests at a time, each 429 waited out as Retry-After says, keep
// well under any rate limit Import would meet.
const syncWorkers = 4

// syncRetries is how many times an update or an archive is retried (a
// 429 waited out, a 5xx): more than a single call's default, since a
// sync meets the rate limit by its nature.
const syncRetries = 8

func syncRun(o *SyncOptions) error {
	f := o.Factory
	in, rd, _, closeIn, err := openRows(&o.ImportOptions, false)
	if err != nil {
		return err
	}
	defer closeIn()
	client, err := f.Client()
	if err != nil {
		return err
	}
	// A state file kept by an earlier run gives the migration's start
	// before the plan, which counts what that run created; a first run
	// makes it once the plan is allowed, so that a refused plan leaves none.
	var since time.Time
	if _, statErr := os.Stat(o.State); !o.Plan && o.State != "" && statErr == nil {
		if since, err = migrationStart(&o.ImportOptions, client, in); err != nil {
			return err
		}
	}
	failures, err := newFailureLog(o.Failures, nil)
	if err != nil {
		return err
	}
	notes, err := newNoteLog(o.Notes, f.IO.ErrOut, nil)
	if err != nil {
		return errors.Join(err, failures.close())
	}
	closeLogs := func() error { return errors.Join(failures.close(), notes.close()) }

	start := time.Now()
	fmt.Fprintf(f.IO.ErrOut, "reading Commet's customers...\n")
	held, active, noExternalID, err := loadCustomers(o.Ctx, client)
	if err != nil {
		return errors.Join(err, closeLogs())
	}
	plan, err := planSync(rd, held, active, noExternalID, o, since, failures, notes)
	if err != nil {
		return errors.Join(inputError(in.name, err), closeLogs())
	}
	held = nil // the plan holds what apply needs
	if o.Plan {
		err := printPlan(f.IO.Out, o.Output, in.name, plan, o.MaxArchive)
		if o.Output != formatTable {
			fmt.Fprintln(f.IO.ErrOut, addressNote)
		}
		if err = errors.Join(err, closeLogs()); err != nil {
			return err
		}
		if plan.Failed > 0 {
			return cmdutil.ErrSomeFailed
		}
		return nil
	}
	if err := checkArchives(f, o, plan); err != nil {
		return errors.Join(err, closeLogs())
	}
	if len(plan.steps) > 0 {
		if err := f.ConfirmWrite(o.Yes, "syncing "+in.name); err != nil {
			return errors.Join(err, closeLogs())
		}
	}
	if since.IsZero() && o.State != "" {
		if since, err = migrationStart(&o.ImportOptions, client, in); err != nil {
			return errors.Join(err, closeLogs())
		}
	}
	rep := &syncReport{name: in.name, failuresFile: o.Failures, stateFile: o.State, plan: plan}
	applySync(o, client, plan, since, failures, notes, rep)
	rep.elapsed = time.Since(start)
	rep.requests, rep.limited = f.Requests.Sent(), f.Requests.RateLimited()
	closeErr := closeLogs()
	rep.print(f.IO.Out)
	switch {
	case rep.halt != nil && errors.Is(rep.halt, context.Canceled):
		return cmdutil.Cancelled(errors.New("stopped at once: run the same command again to make the changes not made"))
	case rep.stoppedEarly:
		return &cmdutil.ExitError{Code: cmdutil.ExitCancelled} // the report says what was left
	case rep.halt != nil:
		return rowsFailed(rep.halt)
	case closeErr != nil:
		return closeErr
	case rep.plan.Failed+rep.failed+rep.unknown+rep.notSent > 0:
		return cmdutil.ErrSomeFailed
	}
	return nil
}

// checkArchives refuses a plan that archives more than 1% of the active
// customers (or more than --max-archive allows), and asks, on a terminal,
// before any archive; --yes does not ask.
func checkArchives(f *cmdutil.Factory, o *SyncOptions, plan *syncPlan) error {
	n := plan.archiveActive
	if n == 0 {
		return nil
	}
	if n > archiveAllowance(plan.Active, o.MaxArchive) {
		return cmdutil.ConfigError(fmt.Errorf("the plan archives %d of the %d active customers, more than 1%% (a truncated file would archive real customers): "+
			"check the file with --plan, and give --max-archive %d to allow it; nothing was sent", n, plan.Active, n))
	}
	if plan.unnamed > 0 && o.ArchiveMissing {
		return cmdutil.ConfigError(fmt.Errorf("%d rows failed without an id, so the customers they meant cannot be told from the missing ones: "+
			"fix them (--failures lists them), or run without --archive-missing; nothing was sent", plan.unnamed))
	}
	if o.Yes || !f.IO.CanPrompt() {
		return nil
	}
	fmt.Fprintf(f.IO.ErrOut, "Archive %d customers? Archiving cannot be undone. [y/N] ", n)
	var answer string
	fmt.Fscanln(f.IO.In, &answer)
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return cmdutil.Cancelled(errors.New("cancelled: nothing was sent"))
	}
	return nil
}

// archiveAllowance is how many active customers a plan may archive: 1% of
// the active ones, or maxArchive when that is more.
func archiveAllowance(active, maxArchive int) int {
	return max(active/100, maxArchive)
}

// applySync carries out the plan: the creates through Import (its batches,
// its pacing, Since from the state file), then the updates, then the
// archives, each a request paced by eachPaced. A graceful stop leaves the
// steps not begun as not sent.
func applySync(o *SyncOptions, client *commet.Client, plan *syncPlan, since time.Time, failures *failureLog, notes *noteLog, rep *syncReport) {
	stop := o.Factory.Interrupts().Graceful()
	var creates, updates, archives []*syncStep
	for _, s := range plan.steps {
		switch s.Action {
		case actionCreate:
			creates = append(creates, s)
		case actionUpdate:
			updates = append(updates, s)
		case actionArchive:
			archives = append(archives, s)
		}
	}
	failed := func(s *syncStep, err error) {
		outcome := outcomeOf(err)
		switch outcome {
		case "not_sent":
			rep.notSent++
		case "unknown":
			rep.unknown++
		default:
			rep.failed++
		}
		fields, reason := describe(err)
		if fields == "" {
			fields = changedFields(s)
		}
		failures.write(s.Line, s.ID, s.email, outcome, fields, s.Action+": "+reason, requestID(err))
	}

	if len(creates) > 0 {
		fmt.Fprintf(o.Factory.IO.ErrOut, "creating %d customers...\n", len(creates))
		params := o.Params
		params.Since, params.Stop = since, stop
		settled := make([]bool, len(creates))
		params.OnResult = func(r commet.ImportItemResult) {
			s := creates[r.Index]
			settled[r.Index] = true
			switch r.Outcome {
			case commet.OutcomeCreated:
				rep.created++
			case commet.OutcomeExisted:
				rep.existed++
			case commet.OutcomeFailed:
				failed(s, r.Err)
				return
			}
			if s.archiveAfter && r.Customer != nil && r.Customer.IsActive {
				archives = append(archives, &syncStep{Action: actionArchive, Line: s.Line, ID: s.ID, CommetID: r.Customer.ID, email: s.email, Reason: reasonArchiveAfter})
			}
		}
		items := func(yield func(commet.CreateCustomerParams) bool) {
			for _, s := range creates {
				if !yield(*s.create) {
					return
				}
			}
		}
		_, err := client.Customers.Import(o.Ctx, items, &params)
		if err != nil && !(closed(stop) && errors.Is(err, commet.ErrNotSent)) {
			rep.halt = err
		}
		for i, s := range creates {
			if !settled[i] { // never read: the import stopped first
				failed(s, fmt.Errorf("%w: the import stopped before it", commet.ErrNotSent))
			}
		}
	}
	opt := commet.WithMaxRetries(syncRetries)
	for _, phase := range []struct {
		what  string
		steps []*syncStep
		do    func(context.Context, *syncStep) error
		done  func(*syncStep)
	}{
		{"updating", updates, func(ctx context.Context, s *syncStep) error {
			_, err := client.Customers.Update(ctx, s.CommetID, s.update, opt)
			return err
		}, func(*syncStep) { rep.updated++ }},
		{"archiving", archives, func(ctx context.Context, s *syncStep) error {
			_, err := client.Customers.Archive(ctx, s.CommetID, opt)
			return err
		}, func(s *syncStep) {
			rep.archived++
			if s.Reason == reasonArchiveAfter {
				notes.write(s.Line, s.ID, "archived after its create (isActive false)")
			}
		}},
	} {
		if len(phase.steps) == 0 {
			continue
		}
		if rep.halt == nil && !closed(stop) {
			fmt.Fprintf(o.Factory.IO.ErrOut, "%s %d customers...\n", phase.what, len(phase.steps))
		}
		eachPaced(o.Ctx, stop, rep.halt, o.Params.Concurrency, o.Params.RequestsPerSecond, phase.steps, phase.do, func(s *syncStep, err error) {
			if err != nil {
				failed(s, err)
				return
			}
			phase.done(s)
		})
	}
	rep.stoppedEarly = closed(stop)
}

// changedFields names the fields a step changes, for the failures file.
func changedFields(s *syncStep) string {
	names := make([]string, len(s.Changes))
	for i, c := range s.Changes {
		names[i] = c.Field
	}
	return strings.Join(names, ";")
}

// requestID is the request ID an error carries, if any.
func requestID(err error) string {
	var apiErr *commet.APIError
	if errors.As(err, &apiErr) {
		return apiErr.RequestID
	}
	return ""
}

// eachPaced runs do for each step, workers at once (syncWorkers when 0)
// and at most rate a second (0: no cap of its own), and reports each to
// done, one at a time. Once stop is closed, ctx ends, or halt is set (the
// import before it ended on an error), the steps not begun are reported
// as not sent.
func eachPaced(ctx context.Context, stop <-chan struct{}, halt error, workers int, rate float64, steps []*syncStep, do func(context.Context, *syncStep) error, done func(*syncStep, error)) {
	if workers <= 0 {
		workers = syncWorkers
	}
	var mu sync.Mutex
	next := 0
	take := func() *syncStep {
		mu.Lock()
		defer mu.Unlock()
		if next == len(steps) {
			return nil
		}
		next++
		return steps[next-1]
	}
	report := func(s *syncStep, err error) {
		mu.Lock()
		defer mu.Unlock()
		done(s, err)
	}
	lim := &interval{}
	if rate > 0 {
		lim.every = time.Duration(float64(time.Second) / rate)
	}
	var wg sync.WaitGroup
	for range min(workers, len(steps)) {
		wg.Go(func() {
			for s := take(); s != nil; s = take() {
				err := halt
				switch {
				case err != nil:
					err = fmt.Errorf("%w: the sync stopped before it: %w", commet.ErrNotSent, err)
				case closed(stop):
					err = fmt.Errorf("%w: stopped before it", commet.ErrNotSent)
				case ctx.Err() != nil:
					err = fmt.Errorf("%w: %w", commet.ErrNotSent, ctx.Err())
				default:
					if err = lim.wait(ctx, stop); err == nil {
						err = do(ctx, s)
					}
				}
				report(s, err)
			}
		})
	}
	wg.Wait()
}

// interval spaces requests every so often; zero every does not.
type interval struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

// wait waits for the next slot; stop or ctx ends the wait, and nothing is
// sent then.
func (l *interval) wait(ctx context.Context, stop <-chan struct{}) error {
	if l.every <= 0 {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.every)
	l.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", commet.ErrNotSent, ctx.Err())
	case <-stop:
		return fmt.Errorf("%w: stopped before it", commet.ErrNotSent)
	}
}
