package customers

import (
	"encoding/json"
	"testing"

	"github.com/commet-go/commet"
	"github.com/stretchr/testify/assert"
)

func TestNewCmdCreate(t *testing.T) {
	t.Parallel()
	runVerbCases(t, NewCmdCreate, []verbCase[CreateOptions]{
		{name: "an email", args: []string{"--email", "ada@example.com"}, check: func(t *testing.T, o *CreateOptions) {
			assert.Equal(t, commet.CreateCustomerParams{Email: "ada@example.com"}, o.Params)
			assert.False(t, o.Yes)
			assert.Equal(t, "json", o.Output)
		}},
		{name: "every field", args: []string{"--email", "a@example.com", "--id", "user_1", "--name", "Ada", "--domain", "acme.com",
			"--website", "https://acme.com", "--timezone", "Europe/Berlin", "--language", "de", "--industry", "software",
			"--line1", "1 Main St", "--line2", "Floor 2", "--city", "Austin", "--state", "TX", "--postal-code", "78701", "--country", "US",
			"--metadata", "plan=pro", "--metadata", "seats:number=5", "--metadata", "trial:bool=yes", "-y", "-o", "table"},
			check: func(t *testing.T, o *CreateOptions) {
				assert.Equal(t, commet.CreateCustomerParams{Email: "a@example.com", ID: "user_1", FullName: "Ada", Domain: "acme.com",
					Website: "https://acme.com", Timezone: "Europe/Berlin", Language: "de", Industry: "software",
					Address:  &commet.Address{Line1: "1 Main St", Line2: "Floor 2", City: "Austin", State: "TX", PostalCode: "78701", Country: "US"},
					Metadata: map[string]any{"plan": "pro", "seats": json.Number("5"), "trial": true}}, o.Params)
				assert.True(t, o.Yes)
				assert.Equal(t, "table", o.Output)
			}},
		{name: "--state is the address's", args: []string{"--email", "a@example.com", "--state", "Bavaria"}, check: func(t *testing.T, o *CreateOptions) {
			assert.Equal(t, &commet.Address{State: "Bavaria"}, o.Params.Address)
		}},
		{name: "no email", args: []string{"--id", "user_1"}, wantErr: "--email is required"},
		{name: "metadata without =", args: []string{"--email", "a@example.com", "--metadata", "plan"}, wantErr: `--metadata "plan"`},
		{name: "metadata not a number", args: []string{"--email", "a@example.com", "--metadata", "seats:number=five"}, wantErr: "is not a number"},
		{name: "an argument", args: []string{"ada@example.com"}, wantErr: "takes no arguments"},
		{name: "no --state-file here", args: []string{"--email", "a@example.com", "--state-file", "x"}, wantErr: "unknown flag: --state-file"},
	})
}
