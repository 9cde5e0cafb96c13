package commet

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnswersOfAnotherAPIVersionAreRefused: Commet serves a pin to a
// version it no longer has as its current version, silently, and
// 2026-07-31 answers customers bare and lists as {"object": "list"}. Every
// operation refuses such a 2xx as ErrBadResponse, with a message that names
// the likely cause; a write is never reported done, and is an outcome
// unknown (it may have been done).
func TestAnswersOfAnotherAPIVersionAreRefused(t *testing.T) {
	bare := map[string]any{"id": "cus_1", "object": "customer", "email": "a@example.com", "externalId": "user_1", "createdAt": "2026-08-01T10:00:00Z"}
	list := map[string]any{"object": "list", "data": []any{bare}, "has_more": false}
	ctx := context.Background()
	for name, tc := range map[string]struct {
		method, url string
		answer      any
		write       bool
		call        func(c *Client) (any, error)
	}{
		"create": {"POST", custURL, bare, true, func(c *Client) (any, error) {
			return c.Customers.Create(ctx, &CreateCustomerParams{Email: "a@example.com", ID: "user_1"})
		}},
		"get": {"GET", custURL + "/user_1", bare, false, func(c *Client) (any, error) { return c.Customers.Get(ctx, "user_1") }},
		"update": {"PUT", custURL + "/user_1", bare, true, func(c *Client) (any, error) {
			return c.Customers.Update(ctx, "user_1", &UpdateCustomerParams{FullName: Ptr("Ada")})
		}},
		"archive": {"PUT", custURL + "/user_1", bare, true, func(c *Client) (any, error) { return c.Customers.Archive(ctx, "user_1") }},
		"list":    {"GET", custURL, list, false, func(c *Client) (any, error) { return c.Customers.List(ctx, nil) }},
		"batch": {"POST", custURL + "/batch", list, true, func(c *Client) (any, error) {
			return c.Customers.CreateBatch(ctx, []CreateCustomerParams{{Email: "a@example.com", ID: "user_1"}})
		}},
	} {
		t.Run(name, func(t *testing.T) {
			c, mock := newMockClient(t)
			rec := answers(status(200, tc.answer))
			mock.RegisterResponder(tc.method, tc.url, rec.responder)
			res, err := tc.call(c)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBadResponse)
			assert.Contains(t, err.Error(), "another API version than 2026-05-01")
			assert.Equal(t, tc.write, isOutcomeUnknown(err), "a write may have been done; a read did nothing")
			assert.Nil(t, res, "nothing is reported done")
			assert.Len(t, rec.requests(), 1, "an unusable answer is not retried")
		})
	}
	t.Run("import", func(t *testing.T) {
		c, mock := newMockClient(t)
		mock.RegisterResponder("POST", custURL+"/batch", status(201, list))
		var outcomes []Outcome
		sum, err := c.Customers.Import(ctx, people(3, 0), &ImportCustomersParams{OnResult: func(r ImportItemResult) {
			outcomes = append(outcomes, r.Outcome)
			assert.ErrorIs(t, r.Err, ErrOutcomeUnknown)
		}})
		require.Error(t, err)
		assert.Equal(t, []Outcome{OutcomeFailed, OutcomeFailed, OutcomeFailed}, outcomes)
		assert.Equal(t, 3, sum.Unknown)
		assert.Zero(t, sum.Created)
	})
}

func isOutcomeUnknown(err error) bool {
	return err != nil && errors.Is(err, ErrOutcomeUnknown)
}

// TestEndpointsAVersionLacksAreClearErrors: endpoint_not_available (404)
// and endpoint_deprecated (410) name the version problem, are never
// retried, and a 404 of that kind is not ErrNotFound: it says nothing of
// whether the customer exists.
func TestEndpointsAVersionLacksAreClearErrors(t *testing.T) {
	for code, st := range map[string]int{"endpoint_not_available": http.StatusNotFound, "endpoint_deprecated": http.StatusGone} {
		c, mock := newMockClient(t)
		rec := answers(status(st, map[string]any{"success": false, "code": code, "message": "Not in this version"}))
		mock.RegisterResponder("GET", custURL+"/user_1", rec.responder)
		_, err := c.Customers.Get(context.Background(), "user_1")
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrBadRequest, code)
		assert.NotErrorIs(t, err, ErrNotFound, code)
		assert.Contains(t, err.Error(), "API version")
		assert.Contains(t, err.Error(), "GET /customers/user_1", "the error names the request")
		assert.Len(t, rec.requests(), 1, "never retried")
	}
}

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

func TestHostileListRefusesAnswersThatAreNotPages(t *testing.T) {
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

// TestHostileAllRefusesAPageThatIsNotAPage: a walk whose second answer is not a
// page yields an error, instead of ending as if the first page were all.
func TestHostileAllRefusesAPageThatIsNotAPage(t *testing.T) {
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

func TestHostileSingleCustomerAnswersAreChecked(t *testing.T) {
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

func TestHostileBatchAnswersAreChecked(t *testing.T) {
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

func TestHostileBadResponseMessagesSayWhatWasWrong(t *testing.T) {
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
