package commet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
)

// BenchmarkSharedPacingOverhead is the cost of the client's shared pacing
// on calls far from the limit: Get and Create through loopback against
// commettest (no rate limit), with the client's calls sharing what they
// learn (the default), with WithSharedPacing(false), and with raw
// net/http, side by side:
//
//	go test -run '^$' -bench SharedPacingOverhead -count 6
func BenchmarkSharedPacingOverhead(b *testing.B) {
	srv, _ := seeded(b, 100)
	defer srv.Close()
	shared, err := commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL(srv.URL()))
	if err != nil {
		b.Fatal(err)
	}
	unshared, err := commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL(srv.URL()), commet.WithSharedPacing(false))
	if err != nil {
		b.Fatal(err)
	}
	params := &commet.CreateCustomerParams{ID: "user_7", Email: "user_7@example.com"}
	for _, c := range []struct {
		name   string
		client *commet.Client
	}{{"shared", shared}, {"unshared", unshared}} {
		b.Run("get/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.client.Customers.Get(context.Background(), "user_7"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("create/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.client.Customers.Create(context.Background(), params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	hc := &http.Client{}
	b.Run("get/raw-net-http", func(b *testing.B) {
		for b.Loop() {
			var env struct {
				Data *commet.Customer `json:"data"`
			}
			rawGet(b, hc, srv.URL()+"/api/v1/customers/user_7", &env)
		}
	})
	b.Run("create/raw-net-http", func(b *testing.B) {
		for b.Loop() {
			body, err := json.Marshal(params)
			if err != nil {
				b.Fatal(err)
			}
			req, err := http.NewRequest(http.MethodPost, srv.URL()+"/api/v1/customers", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("x-api-key", commettest.TestAPIKey)
			req.Header.Set("Commet-Version", commet.DefaultAPIVersion)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var env struct {
				Data *commet.Customer `json:"data"`
			}
			err = json.NewDecoder(resp.Body).Decode(&env)
			resp.Body.Close()
			if err != nil || resp.StatusCode >= 300 {
				b.Fatal(resp.StatusCode, err)
			}
		}
	})
}
