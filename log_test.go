package commet

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogRecordPerAttempt(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mock := newMockClient(t, WithLogger(logger))
	mock.RegisterResponder("POST", custURL, answers(status(503, nil), okCustomer).responder)
	_, err := c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "person@example.com", Address: &Address{Line1: "1 Secret Road", City: "Austin", PostalCode: "78701", Country: "US"}})
	require.NoError(t, err)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	for i, line := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		assert.Equal(t, "DEBUG", rec["level"])
		assert.Equal(t, "POST", rec["method"])
		assert.Equal(t, "/customers", rec["path"], "a log record names the request as Attempt.Path and errors do")
		assert.EqualValues(t, i+1, rec["attempt"])
		assert.EqualValues(t, []int{503, 200}[i], rec["status"])
		assert.Equal(t, "req_test", rec["request_id"])
		assert.Contains(t, rec, "duration")
	}
	assert.NotContains(t, logs.String(), "person@example.com")
	assert.NotContains(t, logs.String(), "Secret Road")
}
