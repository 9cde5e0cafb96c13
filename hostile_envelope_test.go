package commet

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawAnswer answers every request with status and body as given.
func rawAnswer(code int, body string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(code, body)
		resp.Header.Set("X-Request-Id", "req_hostile")
		return resp, nil
	}
}

// assertBadResponse checks an error for an answer the SDK could not use:
// it matches ErrBadResponse, carries the status and the request ID, and
// says what was wrong in the contract's words, never Go's.
func assertBadResponse(t *testing.T, err error, code int) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrBadResponse)
	var apiErr *APIError
	if assert.ErrorAs(t, err, &apiErr) {
		assert.Equal(t, code, apiErr.StatusCode)
		assert.Equal(t, "req_hostile", apiErr.RequestID)
	}
	for _, goName := range []string{"commet.", "Go value", "Go struct", "map[", "[]", "*", "json: "} {
		assert.NotContains(t, err.Error(), goName, "the message shows Go's names")
	}
}

// Answers that are not pages must never read as an empty last page: All
// (and every export built on it) would stop early and look complete.
var notPages = map[string]string{
	"empty object":       `{}`,
	"null":               `null`,
	"success only":       `{"success":true}`,
	"null data":          `{"success":true,"data":null,"hasMore":false}`,
	"success false":      `{"success":false,"data":[],"hasMore":false}`,
	"no success":         `{"data":[],"hasMore":false}`,
	"success not a bool": `{"success":"true","data":[],"hasMore":false}`,
	"data an object":     `{"success":true,"data":{},"hasMore":false}`,
	"data a string":      `{"success":true,"data":"[]","hasMore":false}`,
	"no hasMore":         `{"success":true,"data":[]}`,
	"hasMore not a bool": `{"success":true,"data":[],"hasMore":"no"}`,
	"an array":           `[]`,
	"a string":           `"ok"`,
	"not JSON":           `<html>ok</html>`,
	"empty body":         ``,
	"truncated":          `{"success":true,"data":[{"id":"cus_1"`,
	"trailing garbage":   `{"success":true,"data":[],"hasMore":false} {}`,
	"item not an object": `{"success":true,"data":[7],"hasMore":false}`,
	"item without id":    `{"success":true,"data":[{"billingEmail":"a@example.com"}],"hasMore":false}`,
}

func TestListRefusesAnswersThatAreNotPages(t *testing.T) {
	for name, body := range notPages {
		t.Run(name, func(t *testing.T) {
			c, mock := newMockClient(t)
			mock.RegisterResponder("GET", custURL, rawAnswer(200, body))
			page, err := c.Customers.List(context.Background(), nil)
			assert.Nil(t, page)
			assertBadResponse(t, err, 200)
			assert.Equal(t, 1, mock.GetTotalCallCount(), "a bad answer is not fetched again")
		})
	}
}

// TestAllRefusesAPageThatIsNotAPage: a walk whose second answer is not a
// page yields an error, instead of ending as if the first page were all.
func TestAllRefusesAPageThatIsNotAPage(t *testing.T) {
	for name, body := range notPages {
		t.Run(name, func(t *testing.T) {
			c, mock := newMockClient(t)
			first := jsonResponse(200, map[string]any{"success": true, "hasMore": true, "nextCursor": "c2",
				"data": []any{customerJSON("cus_1", "user_1", "a@example.com")}})
			mock.RegisterResponder("GET", custURL, func(r *http.Request) (*http.Response, error) {
				if r.URL.Query().Get("cursor") == "" {
					return first, nil
				}
				return rawAnswer(200, body)(r)
			})
			n := 0
			var last error
			for _, err := range c.Customers.All(context.Background(), nil) {
				if err != nil {
					last = err
					continue
				}
				n++
			}
			assert.Equal(t, 1, n)
			assertBadResponse(t, last, 200)
		})
	}
}

func TestSingleCustomerAnswersAreChecked(t *testing.T) {
	for name, body := range map[string]string{
		"empty object":    `{}`,
		"null":            `null`,
		"success only":    `{"success":true}`,
		"null data":       `{"success":true,"data":null}`,
		"success false":   `{"success":false,"data":{"id":"cus_1"}}`,
		"no success":      `{"data":{"id":"cus_1"}}`,
		"data a list":     `{"success":true,"data":[{"id":"cus_1"}]}`,
		"data without id": `{"success":true,"data":{"billingEmail":"a@example.com"}}`,
		"id not a string": `{"success":true,"data":{"id":5}}`,
		"bad timestamp":   `{"success":true,"data":{"id":"cus_1","createdAt":"yesterday"}}`,
		"not JSON":        `<html>ok</html>`,
		"empty body":      ``,
	} {
		t.Run(name, func(t *testing.T) {
			for op, call := range map[string]func(*Client) (any, error){
				"Get": func(c *Client) (any, error) { return c.Customers.Get(context.Background(), "user_1") },
				"Update": func(c *Client) (any, error) {
					return c.Customers.Update(context.Background(), "user_1", &UpdateCustomerParams{FullName: Ptr("A")})
				},
				"Archive": func(c *Client) (any, error) { return c.Customers.Archive(context.Background(), "user_1") },
				"Create": func(c *Client) (any, error) {
					return c.Customers.Create(context.Background(), &CreateCustomerParams{Email: "a@example.com"})
				},
			} {
				c, mock := newMockClient(t)
				mock.RegisterNoResponder(rawAnswer(200, body))
				_, err := call(c)
				t.Run(op, func(t *testing.T) { assertBadResponse(t, err, 200) })
			}
		})
	}
}

func TestBatchAnswersAreChecked(t *testing.T) {
	ok := `{"id":"cus_1","externalId":"u1","billingEmail":"a@example.com"}`
	for name, body := range map[string]string{
		"empty object":         `{}`,
		"success only":         `{"success":true}`,
		"null data":            `{"success":true,"data":null}`,
		"data a list":          `{"success":true,"data":[]}`,
		"no lists":             `{"success":true,"data":{}}`,
		"null successful":      `{"success":true,"data":{"successful":null,"failed":[]}}`,
		"failed not a list":    `{"success":true,"data":{"successful":[],"failed":{}}}`,
		"more answers":         `{"success":true,"data":{"successful":[` + ok + `,` + ok + `,` + ok + `],"failed":[]}}`,
		"failure out of range": `{"success":true,"data":{"successful":[` + ok + `],"failed":[{"index":9,"error":"x"}]}}`,
		"success false":        `{"success":false,"data":{"successful":[` + ok + `,` + ok + `],"failed":[]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, mock := newMockClient(t)
			mock.RegisterResponder("POST", custURL+"/batch", rawAnswer(200, body))
			res, err := c.Customers.CreateBatch(context.Background(), []CreateCustomerParams{
				{Email: "a@example.com", ID: "u1"}, {Email: "b@example.com", ID: "u2"},
			})
			assert.Nil(t, res)
			assertBadResponse(t, err, 200)
		})
	}
}

func TestBadResponseMessagesSayWhatWasWrong(t *testing.T) {
	for body, want := range map[string]string{
		`{"success":true}`:                           "data",
		`{"success":true,"data":{},"hasMore":false}`: "list",
		`{"success":true,"data":[]}`:                 "hasMore",
		`<html>`:                                     "JSON",
		`{"success":true,"data":[{"id":1}],"hasMore":false}`:                    "id",
		`{"success":false,"data":[],"hasMore":false}`:                           "success",
		`{"success":true,"data":[{"id":"c","isActive":"yes"}],"hasMore":false}`: "isActive",
	} {
		c, mock := newMockClient(t)
		mock.RegisterResponder("GET", custURL, rawAnswer(200, body))
		_, err := c.Customers.List(context.Background(), nil)
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
		assert.Less(t, len(err.Error()), 300, body)
		assert.False(t, strings.ContainsAny(err.Error(), "\n\r"), body)
	}
}
