package cmdutil

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// Interrupts turns Ctrl-C into stops: the first one stops a command that
// can stop gracefully (an import: no more rows are sent, those in flight
// finish), the second, or the first for any other command, at once.
type Interrupts struct {
	signals <-chan os.Signal

	mu       sync.Mutex
	graceful chan struct{}
	wanted   bool
}

// NewInterrupts reads Ctrl-Cs from signals (nil: none ever comes).
func NewInterrupts(signals <-chan os.Signal) *Interrupts {
	return &Interrupts{signals: signals, graceful: make(chan struct{})}
}

// Graceful returns a channel closed on the first Ctrl-C, and makes that
// first Ctrl-C a graceful stop rather than a cancel.
func (it *Interrupts) Graceful() <-chan struct{} {
	it.mu.Lock()
	defer it.mu.Unlock()
	it.wanted = true
	return it.graceful
}

// Watch cancels ctx on the Ctrl-C that should stop at once, until ctx is
// done; it tells stderr what each Ctrl-C does. The func it returns waits,
// once ctx is done, until the watcher has written its last word.
func (it *Interrupts) Watch(ctx context.Context, cancel context.CancelFunc, stderr io.Writer) (wait func()) {
	if it.signals == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		n := 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-it.signals:
			}
			n++
			it.mu.Lock()
			graceful := it.wanted && n == 1
			if graceful {
				close(it.graceful)
			}
			it.mu.Unlock()
			if graceful {
				fmt.Fprintln(stderr, "\nstopping: no more rows are sent, the batches in flight finish (Ctrl-C again to stop at once)")
				continue
			}
			fmt.Fprintln(stderr, "\nstopping at once")
			cancel()
			return
		}
	}()
	return func() { <-done }
}
