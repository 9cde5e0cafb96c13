package customers

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/schollz/progressbar/v3"
)

// lineEvery is how often progress is written when stderr is not a terminal.
const lineEvery = 5 * time.Second

// importProgress shows an import's progress on stderr: a bar on a terminal
// (rows, rate, time left, waits for the rate limit), a line every few
// seconds otherwise. It never shows an email or an address.
type importProgress struct {
	w          io.Writer
	bar        *progressbar.ProgressBar
	in         *input
	unreadable *atomic.Int64
	stats      *cmdutil.RequestStats
	dryRun     bool

	mu   sync.Mutex
	last commet.ImportSummary

	done chan struct{}
	wg   sync.WaitGroup
}

func startProgress(f *cmdutil.Factory, in *input, unreadable *atomic.Int64, dryRun bool) *importProgress {
	p := &importProgress{w: f.IO.ErrOut, in: in, unreadable: unreadable, stats: &f.Requests, dryRun: dryRun, done: make(chan struct{})}
	every := lineEvery
	if f.IO.ErrTTY {
		every = time.Second
		p.bar = progressbar.NewOptions64(in.size,
			progressbar.OptionSetWriter(f.IO.ErrOut),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionSetSpinnerChangeInterval(0), // no goroutine of its own: it renders on updates
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	p.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.show()
			}
		}
	})
	return p
}

// update takes the import's count, after each batch.
func (p *importProgress) update(sum commet.ImportSummary) {
	p.mu.Lock()
	p.last = sum
	p.mu.Unlock()
	if p.bar != nil {
		p.show()
	}
}

// status is one line of progress.
func (p *importProgress) status() string {
	p.mu.Lock()
	sum := p.last
	p.mu.Unlock()
	done := sum.Done + int(p.unreadable.Load())
	failed := sum.Failed + int(p.unreadable.Load())
	if p.dryRun {
		return fmt.Sprintf("%d rows checked, %d failed", done, failed)
	}
	s := fmt.Sprintf("%d rows, %.0f rows/s, %d failed, %d requests, %d answered 429", done, sum.Rate(), failed, p.stats.Sent(), p.stats.RateLimited())
	if wait := p.stats.Waiting(); wait > 0 {
		s += fmt.Sprintf(", waiting %v for the rate limit", wait.Round(time.Second))
	}
	return s
}

func (p *importProgress) show() {
	if p.bar != nil {
		p.bar.Describe(p.status())
		if p.in.size > 0 {
			// The bar counts rows settled, out of the rows the file holds,
			// estimated from the bytes a row has taken so far (the reading
			// runs ahead of the sending, so bytes alone would run ahead).
			p.mu.Lock()
			done := int64(p.last.Done) + p.unreadable.Load()
			p.mu.Unlock()
			if read, rows := p.in.read.Load(), p.in.rows.Load(); read > 0 && rows > 0 {
				p.bar.ChangeMax64(max(done, int64(float64(rows)*float64(p.in.size)/float64(read))))
			}
			p.bar.Set64(done)
		} else {
			p.bar.Add(0)
		}
		return
	}
	fmt.Fprintln(p.w, "import: "+p.status())
}

// finish stops the progress, leaving the terminal's line clean.
func (p *importProgress) finish(sum commet.ImportSummary) {
	close(p.done)
	p.wg.Wait()
	p.update(sum)
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
