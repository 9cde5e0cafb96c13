package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunPrintsSpansAndMetrics: the example prints the spans of each call,
// of its requests and of the import, the retry's wait, and the metrics;
// and none of the emails, names, IDs or the key it used.
func TestRunPrintsSpansAndMetrics(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	s := out.String()
	for _, want := range []string{
		`"Name": "Customers.Create"`, `"Name": "POST /api/v1/customers"`,
		`"Name": "Customers.Get"`, `"Name": "GET /api/v1/customers/{id}"`,
		`"Name": "Customers.Import"`, `"Name": "Customers.CreateBatch"`, `"Name": "POST /api/v1/customers/batch"`,
		`"Name": "commet.wait"`, `"Value": "backoff"`, `"Key": "http.request.resend_count"`,
		`"Key": "commet.import.created"`, `"Name": "onboarding"`,
		"http.client.request.duration", `commet.import.items [{"commet.import.outcome":"created"}]: 2`,
	} {
		assert.Contains(t, s, want)
	}
	for _, secret := range []string{"example.com", "Ada", "Lovelace", "Grace", "Hopper", "user_", "cus_", "ck_"} {
		assert.NotContains(t, s, secret)
	}
}
