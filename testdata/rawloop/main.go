// Command rawloop is the baseline of BenchmarkPeakRSS: the batch requests
// that examples/migrate's Import sends for its made-up users, sent with
// plain net/http, one at a time, remembering nothing (no ID, no result):
// what any program importing them must at least hold in memory.
//
//	go run ./testdata/rawloop -n 100000 -base-url http://127.0.0.1:12111
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// user is a create body, as the wire names its fields.
type user struct {
	ExternalID   string `json:"externalId"`
	BillingEmail string `json:"billingEmail"`
	FullName     string `json:"fullName"`
}

func main() {
	n := flag.Int("n", 1000, "how many users to send (as examples/migrate, every hundredth, without an email, is left out)")
	baseURL := flag.String("base-url", "http://127.0.0.1:12111", "base URL of a Commet server, such as cmd/commet-fake")
	key := flag.String("api-key", "ck_sandbox_rawloop", "API key")
	flag.Parse()
	sent, err := run(*n, strings.TrimSuffix(*baseURL, "/")+"/api/v1/customers/batch", *key)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rawloop:", err)
		os.Exit(1)
	}
	fmt.Printf("%d users sent\n", sent)
}

// run sends users 0 to n-1 that have an email, 100 a request, and
// returns how many it sent.
func run(n int, url, key string) (int, error) {
	batch := make([]user, 0, 100)
	sent := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := post(url, key, batch); err != nil {
			return err
		}
		sent += len(batch)
		batch = batch[:0]
		return nil
	}
	for i := range n {
		if i%100 == 99 {
			continue // no email: refused before sending
		}
		batch = append(batch, user{
			ExternalID:   fmt.Sprintf("user_%07d", i),
			BillingEmail: fmt.Sprintf("user%07d@example.com", i),
			FullName:     fmt.Sprintf("User %d", i),
		})
		if len(batch) == 100 {
			if err := flush(); err != nil {
				return sent, err
			}
		}
	}
	return sent, flush()
}

// post sends one batch and reads its answer to the end, keeping nothing.
func post(url, key string, batch []user) error {
	body, err := json.Marshal(struct {
		Customers []user `json:"customers"`
	}{batch})
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	var idem [16]byte
	_, _ = rand.Read(idem[:])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	req.Header.Set("Commet-Version", "2026-05-01")
	req.Header.Set("Idempotency-Key", hex.EncodeToString(idem[:]))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return errors.New("POST /customers/batch: " + resp.Status)
	}
	return nil
}
