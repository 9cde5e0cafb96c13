// Command signup is an HTTP sign-up handler that creates the Commet
// customer of each new user exactly once, even when the sign-up request is
// retried by a browser, a load balancer or a queue:
//
//	go run ./examples/signup -addr 127.0.0.1:8080
//	curl -X POST localhost:8080/signup -d '{"userId":"u_1","email":"ada@example.com","name":"Ada"}'
//
// Create is idempotent on the user's ID, and an Idempotency-Key sent by the
// caller is passed on, so retries never make two customers. Validation
// errors are answered with 400 and the rejected fields, a reused
// Idempotency-Key with 409, and any other failure with 502. Emails are never
// logged. Without COMMET_API_KEY it uses an in-process commettest server.
package main

import (
	"crypto/sha256"
	"encoding/hex"
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
		missing := map[string][]string{}
		if req.UserID == "" {
			missing["userId"] = []string{"required"}
		}
		if req.Email == "" {
			missing["email"] = []string{"required"}
		}
		if len(missing) > 0 {
			reply(w, http.StatusBadRequest, signupResponse{Error: "invalid sign-up", Fields: missing})
			return
		}
		var opts []commet.Option
		if key := r.Header.Get("Idempotency-Key"); key != "" {
			opts = append(opts, commet.WithIdempotencyKey(idempotencyKey(req.UserID, key)))
		}
		// The user's ID makes Create idempotent: a retried sign-up gets the
		// customer the first attempt created.
		cust, err := customers.Create(r.Context(), &commet.CreateCustomerParams{
			ID: req.UserID, Email: req.Email, FullName: req.Name,
		}, opts...)
		if err != nil {
			status, resp := describe(err)
			logFailure(req.UserID, err)
			reply(w, status, resp)
			return
		}
		reply(w, http.StatusOK, signupResponse{CustomerID: cust.ID})
	})
	return mux
}

// idempotencyKey scopes the Idempotency-Key a caller sent to its user.
// Commet keeps keys per API key, that is for all our users at once: two
// callers that both chose "1" must not collide, and a hash keeps the key
// short and printable whatever the caller sent.
func idempotencyKey(userID, callerKey string) string {
	sum := sha256.Sum256([]byte(userID + "\x00" + callerKey))
	return "signup-" + hex.EncodeToString(sum[:16])
}

// fieldNames maps Commet's field names to those of the sign-up form.
var fieldNames = map[string]string{"billingEmail": "email", "fullName": "name", "externalId": "userId"}

// describe maps an SDK error to an answer for the person signing up.
func describe(err error) (int, signupResponse) {
	var apiErr *commet.APIError
	switch {
	case errors.As(err, &apiErr) && errors.Is(err, commet.ErrValidation):
		fields := make(map[string][]string, len(apiErr.FieldErrors))
		for name, msgs := range apiErr.FieldErrors {
			if form, ok := fieldNames[name]; ok {
				name = form
			}
			fields[name] = append(fields[name], msgs...)
		}
		return http.StatusBadRequest, signupResponse{Error: "invalid sign-up", Fields: fields}
	case errors.Is(err, commet.ErrValidation): // refused before sending
		return http.StatusBadRequest, signupResponse{Error: err.Error()}
	case errors.Is(err, commet.ErrConflict): // the Idempotency-Key came with another body
		return http.StatusConflict, signupResponse{Error: "this Idempotency-Key was used for another sign-up"}
	case apiErr != nil:
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
	slog.Warn("signup: creating the customer failed", "user_id", userID, "error", err)
}

func reply(w http.ResponseWriter, status int, v signupResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
