// Command signup is an HTTP sign-up handler that creates the Commet
// customer of each new user exactly once, even when the sign-up request is
// retried by a browser, a load balancer or a queue:
//
//	go run ./examples/signup -addr 127.0.0.1:8080
//	curl -X POST localhost:8080/signup -d '{"userId":"u_1","email":"ada@example.com","name":"Ada"}'
//
// Create is idempotent on the user's ID, so a retried or repeated sign-up
// finds the customer the first one made. There is no Idempotency-Key derived
// from the user: a key names one attempt to do one thing, and Commet replays
// a key's first answer for 24 hours, whatever happened since, so a derived
// key would answer a sign-up a minute later with the first one's 201
// "created", and a closed account's sign-up with the 201 of its first
// sign-up instead of a refusal. The SDK's random key per call already makes
// its own retries of one call safe, and every sign-up answers from the
// present.
//
// A sign-up has a budget, so that a person is never held while Commet hangs:
// 10 s in all for Commet (a deadline on the call's context), each attempt
// cut after 4 s, and at most 2 retries, after the SDK's backoff (about 1 s,
// then 2 s). When the budget runs out the handler answers 504; when Commet
// is down, unreachable or rate limiting, 503; both with Retry-After (30 s,
// or longer if Commet asked for longer) and no detail beyond Commet's
// request ID. Otherwise it answers 201 for a new customer, 200 for an
// existing one, 409 for an account that was closed (archived), 400 with the
// rejected fields for invalid data, and 502 when Commet refuses the call
// itself (a wrong API key, say). Emails are never logged.
//
// With COMMET_API_KEY it talks to Commet at https://commet.co, the SDK's
// one host, where the key decides sandbox or live data; without it, to an
// in-process commettest server.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

func main() {
	addr, code, done := parseArgs(os.Args[1:], os.Stdout, os.Stderr)
	if done {
		os.Exit(code)
	}
	var client *commet.Client
	if os.Getenv("COMMET_API_KEY") == "" {
		srv := commettest.NewServer()
		defer srv.Close()
		slog.Info("COMMET_API_KEY is not set: using an in-process commettest server (no network)")
		client = srv.Client()
	} else {
		var err error
		if client, err = commet.NewClient(""); err != nil {
			slog.Error("commet client", "error", err)
			os.Exit(1)
		}
	}
	slog.Info("listening", "addr", addr)
	server := &http.Server{Addr: addr, Handler: newHandler(client.Customers),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: signupBudget + 10*time.Second}
	if err := server.ListenAndServe(); err != nil {
		slog.Error("serve", "error", err)
		os.Exit(1)
	}
}

// parseArgs reads the command line. done says to exit at once with code:
// 0 after -h or -help, with the usage on stdout; 2 for a command line it
// cannot read, with the error and the usage on stderr.
func parseArgs(args []string, stdout, stderr io.Writer) (addr string, code int, done bool) {
	fs := flag.NewFlagSet("signup", flag.ContinueOnError)
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: signup [-addr host:port]\n\n"+
			"Serves POST /signup, creating the Commet customer of each user (COMMET_API_KEY;\n"+
			"without it, an in-process commettest server).\n\n")
		fs.PrintDefaults()
	}
	a := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		fmt.Fprintf(&msg, "signup: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		err = errors.New("unexpected argument")
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = msg.WriteTo(stdout)
		return "", 0, true
	case err != nil:
		_, _ = msg.WriteTo(stderr)
		return "", 2, true
	}
	return *a, 0, false
}

// The budget of one sign-up's call to Commet: it answers within
// signupBudget, whatever Commet does.
const (
	signupBudget   = 10 * time.Second // the whole call, retries and waits included
	attemptTimeout = 4 * time.Second  // one attempt (the SDK's default is 30 s)
	maxRetries     = 2                // after the first attempt (the SDK's default is 3)
	retryAfter     = 30 * time.Second // what a 503 or 504 asks the person to wait, at least
)

// errBudgetSpent is the cause of a sign-up's context that ran out of budget.
var errBudgetSpent = errors.New("signup: the budget for Commet ran out")

type signupRequest struct {
	UserID string `json:"userId"`
	Email  string `json:"email"`
	Name   string `json:"name"`
}

type signupResponse struct {
	CustomerID string              `json:"customerId,omitempty"`
	Status     string              `json:"status,omitempty"` // "created" or "existing"
	Error      string              `json:"error,omitempty"`
	Fields     map[string][]string `json:"fields,omitempty"`
}

// newHandler serves POST /signup.
func newHandler(customers *commet.CustomersService) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /signup", func(w http.ResponseWriter, r *http.Request) {
		var req signupRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
			reply(w, http.StatusBadRequest, signupResponse{Error: "the body must be JSON with userId, email and name"})
			return
		}
		if req.UserID == "" { // the customer's ID is what makes the sign-up idempotent
			reply(w, http.StatusBadRequest, signupResponse{Error: "invalid sign-up", Fields: map[string][]string{"userId": {"required"}}})
			return
		}
		params := &commet.CreateCustomerParams{ID: req.UserID, Email: req.Email, FullName: req.Name}
		ctx, cancel := context.WithTimeoutCause(r.Context(), signupBudget, errBudgetSpent)
		defer cancel()
		res, err := customers.Create(ctx, params, // the SDK's own Idempotency-Key: one per call
			commet.WithTimeout(attemptTimeout), commet.WithMaxRetries(maxRetries))
		if err != nil {
			status, resp, wait := describe(ctx, err)
			logFailure(ctx, req.UserID, err)
			if wait > 0 {
				w.Header().Set("Retry-After", strconv.FormatInt(int64((wait+time.Second-1)/time.Second), 10))
			}
			reply(w, status, resp)
			return
		}
		switch res.Outcome {
		case commet.OutcomeCreated:
			reply(w, http.StatusCreated, signupResponse{CustomerID: res.ID, Status: "created"})
		case commet.OutcomeExisted: // a retried or repeated sign-up: an earlier one made the customer
			reply(w, http.StatusOK, signupResponse{CustomerID: res.ID, Status: "existing"})
		default: // OutcomeArchived: the account was closed, and Create left it so
			slog.Warn("signup: the customer is archived", "user_id", req.UserID, "customer_id", res.ID)
			reply(w, http.StatusConflict, signupResponse{Error: "this account was closed; contact support to reopen it"})
		}
	})
	return mux
}

// fieldNames maps Commet's field names to those of the sign-up form.
var fieldNames = map[string]string{"billingEmail": "email", "fullName": "name", "externalId": "userId"}

// describe maps an SDK error to an answer for the person signing up, and
// the wait to ask for in Retry-After (zero for none). It never passes on the
// error's text: that is for the log, and only Commet's request ID, which
// support can look up, reaches the person.
func describe(ctx context.Context, err error) (int, signupResponse, time.Duration) {
	var invalid *commet.ValidationError
	var apiErr *commet.APIError
	hasAPIErr := errors.As(err, &apiErr)
	requestID := ""
	if hasAPIErr && apiErr.RequestID != "" {
		requestID = fmt.Sprintf(" (request %s)", apiErr.RequestID)
	}
	switch {
	case errors.As(err, &invalid): // checked by the SDK or by Commet: the same shape
		fields := make(map[string][]string, len(invalid.Fields))
		for name, msgs := range invalid.Fields {
			if form, ok := fieldNames[name]; ok {
				name = form
			}
			fields[name] = append(fields[name], msgs...)
		}
		return http.StatusBadRequest, signupResponse{Error: "invalid sign-up", Fields: fields}, 0
	case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded): // the budget ran out, or would before a retry (or the person left)
		return http.StatusGatewayTimeout, signupResponse{Error: fmt.Sprintf(
			"billing did not answer in time; try again in %s%s", retryAfter, requestID)}, retryAfter
	case errors.Is(err, commet.ErrServer), errors.Is(err, commet.ErrNetwork), errors.Is(err, commet.ErrRateLimited):
		wait := retryAfter
		if hasAPIErr && apiErr.RetryAfter > wait { // Commet asked for longer than the SDK waits
			wait = apiErr.RetryAfter
		}
		return http.StatusServiceUnavailable, signupResponse{Error: fmt.Sprintf(
			"billing is unavailable; try again in %s%s", wait.Round(time.Second), requestID)}, wait
	}
	// Commet refused the call itself (a wrong API key, an answer the SDK
	// cannot use): retrying will not help the person, an engineer will.
	return http.StatusBadGateway, signupResponse{Error: "billing is unavailable" + requestID}, 0
}

// logFailure logs what an engineer on call needs, and never the email: it
// is personal data. An API error is logged by its status, code and request
// ID rather than its text, since a server's message might quote the input.
func logFailure(ctx context.Context, userID string, err error) {
	if ctx.Err() != nil {
		slog.Warn("signup: Commet did not answer in time", "user_id", userID,
			"budget", signupBudget, "cause", context.Cause(ctx), "error", err)
		return
	}
	var apiErr *commet.APIError
	if errors.As(err, &apiErr) {
		slog.Warn("signup: creating the customer failed", "user_id", userID,
			"status", apiErr.StatusCode, "code", apiErr.Code, "request_id", apiErr.RequestID)
		return
	}
	if errors.Is(err, commet.ErrValidation) {
		slog.Info("signup: invalid sign-up", "user_id", userID)
		return
	}
	slog.Warn("signup: creating the customer failed", "user_id", userID, "error", err)
}

func reply(w http.ResponseWriter, status int, v signupResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
