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
// present. The handler answers 201 for a new customer, 200 for an existing
// one, 409 for an account that was closed (archived), 400 with the
// rejected fields for invalid data, and 502 when Commet cannot be reached.
// Emails are never logged. Without COMMET_API_KEY it uses an in-process
// commettest server.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
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
	slog.Info("listening", "addr", *addr)
	server := &http.Server{Addr: *addr, Handler: newHandler(client.Customers), ReadHeaderTimeout: 10 * time.Second}
	if err := server.ListenAndServe(); err != nil {
		slog.Error("serve", "error", err)
		os.Exit(1)
	}
}

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
		res, err := customers.Create(r.Context(), params) // the SDK's own key: one per call
		if err != nil {
			status, resp := describe(err)
			logFailure(req.UserID, err)
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

// describe maps an SDK error to an answer for the person signing up.
func describe(err error) (int, signupResponse) {
	var invalid *commet.ValidationError
	var apiErr *commet.APIError
	switch {
	case errors.As(err, &invalid): // checked by the SDK or by Commet: the same shape
		fields := make(map[string][]string, len(invalid.Fields))
		for name, msgs := range invalid.Fields {
			if form, ok := fieldNames[name]; ok {
				name = form
			}
			fields[name] = append(fields[name], msgs...)
		}
		return http.StatusBadRequest, signupResponse{Error: "invalid sign-up", Fields: fields}
	case errors.As(err, &apiErr):
		return http.StatusBadGateway, signupResponse{Error: fmt.Sprintf("billing is unavailable (request %s)", apiErr.RequestID)}
	}
	return http.StatusBadGateway, signupResponse{Error: "billing is unavailable"}
}

// logFailure logs what an engineer on call needs, and never the email: it
// is personal data. An API error is logged by its status, code and request
// ID rather than its text, since a server's message might quote the input.
func logFailure(userID string, err error) {
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
