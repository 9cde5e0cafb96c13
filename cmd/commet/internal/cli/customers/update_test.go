package customers

import (
	"testing"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
)

func TestNewCmdUpdate(t *testing.T) {
	t.Parallel()
	runVerbCases(t, NewCmdUpdate, []verbCase[UpdateOptions]{
		{name: "a name", args: []string{"user_1", "--name", "Ada King"}, check: func(t *testing.T, o *UpdateOptions) {
			assert.Equal(t, "user_1", o.ID)
			assert.Equal(t, commet.UpdateCustomerParams{FullName: commet.Ptr("Ada King")}, o.Params, "only the fields given")
		}},
		{name: "an empty name clears it", args: []string{"user_1", "--name", ""}, check: func(t *testing.T, o *UpdateOptions) {
			assert.Equal(t, commet.UpdateCustomerParams{FullName: commet.Ptr("")}, o.Params)
		}},
		{name: "every field", args: []string{"user_1", "--email", "b@example.com", "--timezone", "UTC", "--domain", "d.com", "--website", "https://d.com",
			"--language", "en", "--industry", "x", "--state", "TX", "--metadata", "plan=pro", "-y", "-o", "csv"},
			check: func(t *testing.T, o *UpdateOptions) {
				assert.Equal(t, commet.UpdateCustomerParams{Email: commet.Ptr("b@example.com"), Timezone: commet.Ptr("UTC"), Domain: commet.Ptr("d.com"),
					Website: commet.Ptr("https://d.com"), Language: commet.Ptr("en"), Industry: commet.Ptr("x"),
					Address: &commet.Address{State: "TX"}, Metadata: map[string]any{"plan": "pro"}}, o.Params)
				assert.True(t, o.Yes)
				assert.Equal(t, "csv", o.Output)
			}},
		{name: "nothing to update", args: []string{"user_1"}, wantErr: "nothing to update"},
		{name: "no ID", args: []string{"--name", "A"}, wantErr: "takes one customer ID"},
	})
}
