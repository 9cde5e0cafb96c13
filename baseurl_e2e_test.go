package commet_test

import (
	"context"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWrongBaseURLIsNotANotFound: a base URL whose path does not lead to
// the API meets commettest's answer for a route the API lacks, which the
// SDK classes as a bad request, never as ErrNotFound, so a sign-up's "not
// found, so create it" never runs on a misconfiguration. The README's
// /api/v1 form works.
func TestWrongBaseURLIsNotANotFound(t *testing.T) {
	srv := commettest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	c, err := commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL(srv.URL()+"/wrong/prefix"))
	require.NoError(t, err)
	_, err = c.Customers.Get(ctx, "u1")
	require.ErrorIs(t, err, commet.ErrBadRequest)
	assert.NotErrorIs(t, err, commet.ErrNotFound)

	c, err = commet.NewClient(commettest.TestAPIKey, commet.WithBaseURL(srv.URL()+"/api/v1"))
	require.NoError(t, err)
	_, err = c.Customers.Create(ctx, &commet.CreateCustomerParams{ID: "u1", Email: "ada@example.com"})
	require.NoError(t, err)
	got, err := c.Customers.Get(ctx, "u1")
	require.NoError(t, err)
	assert.Equal(t, "u1", got.ExternalID)
}
