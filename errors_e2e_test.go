package commet_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorsAsFindsEveryErrorType: every error type of the SDK has pointer
// receivers and is handed out as a pointer, so errors.As with a pointer
// target finds each one where the SDK returns it, also wrapped once more by
// the caller. A *BatchItemError was once handed out as a value, which
// errors.As(err, &p) with p *BatchItemError never matched.
func TestErrorsAsFindsEveryErrorType(t *testing.T) {
	srv := commettest.NewServer(commettest.WithRule(func(field, value string) string {
		if field == "fullName" && value == "Refused" {
			return "not allowed"
		}
		return ""
	}))
	t.Cleanup(srv.Close)
	client := srv.Client()
	ctx := context.Background()
	wrap := func(err error) error { return fmt.Errorf("caller: %w", err) }

	_, err := client.Customers.Get(ctx, "nobody")
	var apiErr *commet.APIError
	require.ErrorAs(t, wrap(err), &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)

	_, err = client.Customers.Create(ctx, &commet.CreateCustomerParams{ID: "u1"})
	var valErr *commet.ValidationError
	require.ErrorAs(t, wrap(err), &valErr)
	assert.Contains(t, valErr.Fields, "billingEmail")

	items := slices.Values([]commet.CreateCustomerParams{
		{ID: "u1", Email: "a@example.com"},
		{ID: "u2", Email: "b@example.com", FullName: "Refused"},
	})
	var refused error
	_, err = client.Customers.Import(ctx, items, &commet.ImportCustomersParams{OnResult: func(r commet.ImportItemResult) {
		if r.Index == 1 {
			refused = r.Err
		}
	}})
	require.NoError(t, err)
	var itemErr *commet.BatchItemError
	require.ErrorAs(t, wrap(refused), &itemErr, "Import's Err of an item Commet refused")
	assert.Equal(t, 1, itemErr.Index)
	require.ErrorAs(t, wrap(refused), &valErr)
	assert.Contains(t, valErr.Fields, "fullName")

	res, err := client.Customers.CreateBatch(ctx, []commet.CreateCustomerParams{{ID: "u3"}})
	require.NoError(t, err)
	require.Len(t, res.Failed, 1)
	require.ErrorAs(t, wrap(res.Failed[0]), &itemErr, "CreateBatch's Failed")

	var panicErr *commet.PanicError
	func() {
		defer func() {
			err, _ := recover().(error)
			require.ErrorAs(t, wrap(err), &panicErr)
		}()
		_, _ = client.Customers.Import(ctx, slices.Values([]commet.CreateCustomerParams{{ID: "u4", Email: "d@example.com"}}),
			&commet.ImportCustomersParams{OnResult: func(commet.ImportItemResult) { panic(errors.New("boom")) }})
	}()
	assert.Equal(t, "OnResult", panicErr.Where)
}
