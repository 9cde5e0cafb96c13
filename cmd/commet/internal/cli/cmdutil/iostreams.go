// Package cmdutil holds what every command of the commet CLI shares: the
// IO streams, the factory that builds the client lazily, the exit codes and
// the confirmation asked before writes with a key that is not a sandbox key.
package cmdutil

import (
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// IOStreams are the only way a command reads input or writes output: data
// on Out, progress, prompts and messages on ErrOut. Whether each is a
// terminal is decided once, when the streams are made, so a test can say so.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// InTTY, OutTTY and ErrTTY say whether In, Out and ErrOut are terminals.
	InTTY, OutTTY, ErrTTY bool
}

// NewIOStreams wraps the given streams, asking the operating system whether
// each is a terminal (only an *os.File can be).
func NewIOStreams(in io.Reader, out, errOut io.Writer) *IOStreams {
	s := &IOStreams{In: in, Out: out, ErrOut: errOut,
		InTTY: isTerminal(in), OutTTY: isTerminal(out), ErrTTY: isTerminal(errOut)}
	return s.Locked()
}

// Locked returns the streams with Out and ErrOut safe for concurrent
// writers: the progress bar, the interrupt watcher and the command write
// stderr at once. Run locks whatever streams it is given.
func (s *IOStreams) Locked() *IOStreams {
	l := *s
	if _, ok := l.Out.(*lockedWriter); !ok {
		l.Out = &lockedWriter{w: l.Out}
	}
	if _, ok := l.ErrOut.(*lockedWriter); !ok {
		l.ErrOut = &lockedWriter{w: l.ErrOut}
	}
	return &l
}

// lockedWriter serializes the writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// CanPrompt reports whether a question can be asked and answered: both the
// input and the error stream are terminals.
func (s *IOStreams) CanPrompt() bool { return s.InTTY && s.ErrTTY }
