package commet_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

var errBoom = errors.New("boom")

// panicking returns params and client options whose where ("a worker (a
// Middleware, say)", "OnResult", "OnProgress") panics with v on the third
// call.
func panicking(where string, v any) (*commet.ImportCustomersParams, []commet.ClientOption) {
	var calls atomic.Int64
	boom := func() {
		if calls.Add(1) == 3 {
			panic(v)
		}
	}
	p := &commet.ImportCustomersParams{BatchSize: 10, Concurrency: 1}
	var opts []commet.ClientOption
	switch where {
	case "OnResult":
		p.OnResult = func(commet.ImportItemResult) { boom() }
	case "OnProgress":
		p.OnProgress = func(commet.ImportSummary) { boom() }
	default:
		opts = append(opts, commet.WithMiddleware(func(req *http.Request, _ commet.Attempt, next commet.MiddlewareNext) (*http.Response, error) {
			boom()
			return next(req)
		}))
	}
	return p, opts
}

var panicSites = []string{"a worker (a Middleware, say)", "OnResult", "OnProgress"}

// TestImportPanicReachesTheCaller: a panic in a Middleware, in OnResult or
// in OnProgress is re-raised in the caller's goroutine, where a recover
// (as net/http's for a handler) catches it, as a *PanicError holding the
// value and the stack it came from; the import stops at once, and the
// synctest bubble ending proves no goroutine of it is left behind.
func TestImportPanicReachesTheCaller(t *testing.T) {
	for _, where := range panicSites {
		t.Run(where, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := commettest.NewServer()
				defer srv.Close()
				p, opts := panicking(where, errBoom)
				var recovered any
				returned := false
				func() {
					defer func() { recovered = recover() }()
					srv.Client(opts...).Customers.Import(context.Background(), people(100_000), p)
					returned = true
				}()
				assert.False(t, returned, "Import panicked rather than returned")
				var pe *commet.PanicError
				require.IsType(t, pe, recovered)
				pe = recovered.(*commet.PanicError)
				assert.Equal(t, errBoom, pe.Value)
				assert.Equal(t, where, pe.Where)
				assert.ErrorIs(t, pe, errBoom)
				assert.Contains(t, string(pe.Stack), "commet_test.panicking", "the stack of the goroutine that panicked")
				assert.Contains(t, pe.Error(), "panic in "+where+": boom")
				// The import stops at once: a worker's panic ends it before the
				// next request; a callback's, before the workers fill the
				// callbacks' queue (4,096 results, 410 batches of 10), which
				// they may run ahead of: 10,000 batches were to come.
				assert.Less(t, srv.Requests(), 420, "the import stopped at once")
			})
		})
	}
	t.Run("every item read has its outcome", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := commettest.NewServer()
			defer srv.Close()
			p, opts := panicking(panicSites[0], errBoom)
			p.Concurrency = 4
			reported, onItsWay := map[int]int{}, 0
			p.OnResult = func(r commet.ImportItemResult) {
				reported[r.Index]++
				if r.Err != nil && strings.Contains(r.Err.Error(), "panicked while the batch was on its way") {
					onItsWay++
					assert.ErrorIs(t, r.Err, commet.ErrOutcomeUnknown, "its request may have left")
				}
			}
			read := 0
			items := func(yield func(commet.CreateCustomerParams) bool) {
				for it := range people(100_000) {
					read++
					if !yield(it) {
						return
					}
				}
			}
			func() {
				defer func() { assert.IsType(t, &commet.PanicError{}, recover()) }()
				srv.Client(opts...).Customers.Import(context.Background(), items, p)
			}()
			assert.Equal(t, 10, onItsWay, "the batch whose middleware panicked")
			assert.Len(t, reported, read)
			for i, n := range reported {
				assert.Equal(t, 1, n, "item %d", i)
			}
		})
	})
	t.Run("http.ErrAbortHandler goes on as it is", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := commettest.NewServer()
			defer srv.Close()
			p, opts := panicking("OnResult", http.ErrAbortHandler)
			defer func() { assert.Equal(t, http.ErrAbortHandler, recover()) }()
			srv.Client(opts...).Customers.Import(context.Background(), people(1000), p)
		})
	})
	t.Run("runtime.Goexit in a callback ends the caller's goroutine", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := commettest.NewServer()
			defer srv.Close()
			returned, ended := false, make(chan struct{})
			go func() {
				defer close(ended)
				srv.Client().Customers.Import(context.Background(), people(1000), &commet.ImportCustomersParams{
					OnResult: func(commet.ImportItemResult) { runtime.Goexit() }, // t.FailNow, say
				})
				returned = true
			}()
			<-ended
			assert.False(t, returned)
		})
	})
}

// TestImportPanicInAGoroutineIsRecoverable runs an import whose callback
// or middleware panics in a child process, since a panic on a goroutine of
// its own would end this one: the caller's recover catches it and the
// process goes on (exit 0); uncaught, the crash prints the value and the
// stack of the goroutine where it happened.
func TestImportPanicInAGoroutineIsRecoverable(t *testing.T) {
	if where := os.Getenv("COMMET_IMPORT_PANIC_IN"); where != "" {
		importPanicChild(where, os.Getenv("COMMET_IMPORT_PANIC_RECOVER") != "")
		return
	}
	for _, where := range panicSites {
		for _, recovers := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s, recovered %v", where, recovers), func(t *testing.T) {
				cmd := exec.Command(os.Args[0], "-test.run=^TestImportPanicInAGoroutineIsRecoverable$")
				// Under the race detector a process that exits 0 sleeps a second
				// first (GORACE's atexit_sleep_ms), for races of goroutines still
				// running: the child has none to leave (TestImportPanicReachesTheCaller
				// proves it in a synctest bubble), and a race found still exits 66.
				cmd.Env = append(os.Environ(), "COMMET_IMPORT_PANIC_IN="+where, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
				if recovers {
					cmd.Env = append(cmd.Env, "COMMET_IMPORT_PANIC_RECOVER=1")
				}
				var stdout, stderr strings.Builder
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				if recovers {
					require.NoError(t, err, "the process survived: %s", stderr.String())
					assert.Contains(t, stdout.String(), "recovered: commet: Import: panic in "+where+": boom")
					assert.Contains(t, stdout.String(), "commet_test.panicking", "with the stack where it happened")
					return
				}
				var exit *exec.ExitError
				require.ErrorAs(t, err, &exit)
				assert.Equal(t, 2, exit.ExitCode())
				assert.Contains(t, stderr.String(), "panic: commet: Import: panic in "+where+": boom")
				assert.Contains(t, stderr.String(), "commet_test.panicking", "with the stack where it happened")
				assert.Contains(t, stderr.String(), "importPanicChild", "raised in the caller's goroutine")
			})
		}
	}
}

func importPanicChild(where string, recovers bool) {
	srv := commettest.NewServer()
	defer srv.Close()
	p, opts := panicking(where, errBoom)
	if recovers {
		defer func() {
			fmt.Printf("recovered: %v\n", recover())
			os.Exit(0)
		}()
	}
	srv.Client(opts...).Customers.Import(context.Background(), people(10_000), p)
	fmt.Println("Import returned")
	os.Exit(3)
}
