package cmdutil

import (
	"errors"
	"fmt"
)

// Exit codes of the commet command.
const (
	// ExitOK: every row or request settled.
	ExitOK = 0
	// ExitFailed: a request failed, or some row failed or has an unknown
	// outcome.
	ExitFailed = 1
	// ExitUsage: a usage or configuration error (a flag, an argument,
	// a missing API key); nothing was sent.
	ExitUsage = 2
)

// ExitError is an error with the exit code it maps to. A nil Err means the
// command already said what happened (an import's report): nothing more is
// printed.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageErrorf is a usage error: a flag or an argument the command refuses.
func UsageErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: &usageError{fmt.Errorf(format, args...)}}
}

// ConfigError is a configuration error (no API key, a bad base URL).
func ConfigError(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// ErrSomeFailed ends a command whose report already lists what failed.
var ErrSomeFailed = &ExitError{Code: ExitFailed}

// usageError marks the usage errors after which the usage hint is printed.
type usageError struct{ error }

func (e *usageError) Unwrap() error { return e.error }

// IsUsage reports whether err calls for the usage hint.
func IsUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// RunError marks an error returned by a command's run, as opposed to one
// from cobra's parsing of flags and arguments, which is a usage error.
type RunError struct{ Err error }

func (e *RunError) Error() string { return e.Err.Error() }
func (e *RunError) Unwrap() error { return e.Err }

// ExitCode maps err to an exit code, in one place: cobra's errors (unknown
// commands, flags, arguments) and usage errors are 2, an *ExitError says its
// own, and every other error of a run is 1.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	var run *RunError
	if errors.As(err, &run) {
		return ExitFailed
	}
	return ExitUsage
}
