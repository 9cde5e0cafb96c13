package commet

import (
	"context"
	"errors"
	"net/http"
	"testing"

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
		sum, err := c.Customers.Import(ctx, people(3, 0), &ImportCustomersParams{OnResult: func(r CustomerImportResult) {
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
