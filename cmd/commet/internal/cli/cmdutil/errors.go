package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/commet-go/commet"
	"github.com/spf13/cobra"
)

// Exit codes of the commet command, one for each thing a script may want to
// tell apart. ExitCodesHelp, the help topic "exit-codes", documents them.
const (
	// ExitOK: every row or request settled.
	ExitOK = 0
	// ExitFailed: a request failed for another reason (Commet refused the
	// data, or its answer could not be used), or a file could not be
	// written.
	ExitFailed = 1
	// ExitUsage: a usage or configuration error (a flag, an argument,
	// a missing API key, an input that cannot be read); nothing was sent.
	ExitUsage = 2
	// ExitCancelled: the person stopped the command: a declined
	// confirmation, or Ctrl-C.
	ExitCancelled = 3
	// ExitAuth: Commet refused the API key (401) or its rights (403).
	ExitAuth = 4
	// ExitNotFound: no such customer (404).
	ExitNotFound = 5
	// ExitTryLater: no answer (network), Commet failed (5xx, 408) or asked
	// to slow down (429): the same command may succeed later.
	ExitTryLater = 6
	// ExitRowsFailed: an import ran, but some row failed or has an unknown
	// outcome; its report and --failures file say which.
	ExitRowsFailed = 7
)

// ExitCodesHelp is the text of "commet help exit-codes".
const ExitCodesHelp = `Exit status of commet, for scripts:

  0  success: every request or row settled
  1  failed: Commet refused the request (invalid data, a conflict, a bad request),
     its answer could not be used, or a file could not be written
  2  usage or configuration: a flag, an argument, no API key, an input file that
     cannot be read as asked, a sync that would archive more than allowed; nothing
     was sent
  3  cancelled by you: a declined confirmation, or Ctrl-C
  4  not authorized: Commet refused the API key (401) or what it may do (403);
     check which key was used (--api-key wins over COMMET_API_KEY), that it
     starts with ck_, and its environment (a sandbox key, ck_sandbox_..., reaches
     only sandbox data; a live key only live data)
  5  not found: no such customer (404)
  6  try later: no answer (a network error or a timeout), Commet failed (5xx),
     or its rate limit held after the retries (429); running the same command
     again is safe
  7  some rows failed: an import or a sync ran, and its report lists rows or
     changes that failed or whose outcome is unknown (--failures writes them,
     ready to fix and re-run)

An import that stops on a request error exits with that error's code (4 or 6,
say), even when some rows were sent: its report says which.
`

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

// Cancelled is the person's stop: err says what was left undone.
func Cancelled(err error) error { return &ExitError{Code: ExitCancelled, Err: err} }

// ErrSomeFailed ends a command whose report already lists what failed.
var ErrSomeFailed = &ExitError{Code: ExitRowsFailed}

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

// ExitCode maps err to an exit code, in one place: an *ExitError says its
// own; an error of a run is classified by the SDK's sentinels (not
// authorized, not found, try later), a cancelled context is the person's
// Ctrl-C, and any other error of a run is 1; cobra's errors (unknown
// commands, flags, arguments) are usage errors, 2.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	var run *RunError
	if !errors.As(err, &run) {
		return ExitUsage
	}
	return runExitCode(err)
}

// runExitCode classifies an error of a run.
func runExitCode(err error) int {
	switch {
	case errors.Is(err, context.Canceled):
		return ExitCancelled // only Ctrl-C cancels a run's context
	case errors.Is(err, commet.ErrUnauthorized), errors.Is(err, commet.ErrForbidden):
		return ExitAuth
	case errors.Is(err, commet.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, commet.ErrNetwork), errors.Is(err, commet.ErrServer), errors.Is(err, commet.ErrRateLimited),
		errors.Is(err, context.DeadlineExceeded):
		return ExitTryLater
	}
	return ExitFailed
}

// Message is err as one line with one "commet: " prefix. The SDK's errors
// each begin with "commet: ", so a wrapped one repeats it (`commet: customer
// "x": commet: not sent: commet: network error`); each "commet: " that
// begins a part of the line (its start, or after ": ") is dropped, and one is
// put in front. Nothing else of the text changes.
func Message(err error) string {
	s := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
	var parts []string
	for part := range strings.SplitSeq(s, ": ") {
		if part != "commet" {
			parts = append(parts, part)
		}
	}
	return "commet: " + strings.Join(parts, ": ")
}

// NoArgs refuses arguments, as a usage error; it is cobra.Command.Args of
// the commands that take none.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}
