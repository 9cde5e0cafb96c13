package customers

import (
	"context"
	"fmt"
	"strings"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/commet-go/commet/cmd/commet/internal/cli/rows"
	"github.com/spf13/cobra"
)

// CreateOptions are the options of commet customers create.
type CreateOptions struct {
	Factory  *cmdutil.Factory
	Ctx      context.Context
	Params   commet.CreateCustomerParams
	Address  addressFlags
	Metadata []string
	Output   string
	Yes      bool
}

// NewCmdCreate returns commet customers create.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "create --email EMAIL [--id ID] [flags]",
		Short: "Create a customer; with --id, an existing customer with that ID is left as it is",
		Example: `  commet customers create --email ada@example.com --id user_1 --name "Ada Lovelace"
  commet customers create --email billing@acme.com --id acme --domain acme.com \
      --line1 "1 Main St" --city Austin --state TX --postal-code 78701 --country US \
      --metadata plan=pro --metadata seats:number=5`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = ctxOf(cmd)
			if opts.Params.Email == "" {
				return cmdutil.UsageErrorf("--email is required")
			}
			md, err := parseMetadata(opts.Metadata)
			if err != nil {
				return err
			}
			opts.Params.Metadata = md
			opts.Params.Address = opts.Address.address()
			return runPrinting(f.IO, &opts.Output, opts, runF, createRun)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Params.Email, "email", "", "billing email (required)")
	fl.StringVar(&opts.Params.ID, "id", "", "your own ID for the customer, such as your user ID")
	fl.StringVar(&opts.Params.FullName, "name", "", "the customer's name")
	fl.StringVar(&opts.Params.Domain, "domain", "", "web domain, such as acme.com")
	fl.StringVar(&opts.Params.Website, "website", "", "website URL")
	fl.StringVar(&opts.Params.Timezone, "timezone", "", "IANA time zone, such as Europe/Berlin")
	fl.StringVar(&opts.Params.Language, "language", "", "language, such as de")
	fl.StringVar(&opts.Params.Industry, "industry", "", "industry, free text")
	fl.StringArrayVar(&opts.Metadata, "metadata", nil, "a metadata `key=value`, text; key:number=5, key:bool=true, key:json='{...}' for other types (repeat for more)")
	opts.Address.register(fl)
	outputFlag(cmd, &opts.Output, customerFormats...)
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask before writing with a key that is not a sandbox key")
	return cmd
}

// parseMetadata reads --metadata pairs: key=value for text, or
// key:TYPE=value for another type, TYPE being number, bool, json or string,
// as import's --map metadata.KEY=COLUMN:TYPE. A value that is not of its
// type is a usage error: nothing is sent.
func parseMetadata(pairs []string) (map[string]any, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]any, len(pairs))
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		key, kind := rows.SplitKind(k)
		if !ok || strings.TrimSpace(key) == "" {
			return nil, cmdutil.UsageErrorf("--metadata %q: want key=value, or key:TYPE=value with TYPE one of %s", kv, strings.Join(rows.Kinds, ", "))
		}
		value, err := rows.ParseValue(kind, v)
		if err != nil {
			return nil, cmdutil.UsageErrorf("--metadata %q: the value %v", kv, err)
		}
		m[key] = value
	}
	return m, nil
}

func createRun(opts *CreateOptions) error {
	f := opts.Factory
	if err := opts.Params.Validate(); err != nil {
		return err
	}
	client, err := f.Client()
	if err != nil {
		return err
	}
	if err := f.ConfirmWrite(opts.Yes, "creating a customer"); err != nil {
		return err
	}
	res, err := client.Customers.Create(opts.Ctx, &opts.Params)
	if err != nil {
		return err
	}
	switch res.Outcome {
	case commet.OutcomeCreated:
		fmt.Fprintf(f.IO.ErrOut, "created customer %s\n", res.ID)
	case commet.OutcomeExisted:
		fmt.Fprintf(f.IO.ErrOut, "customer %s existed with this ID: left as it was\n", res.ID)
	case commet.OutcomeArchived:
		fmt.Fprintf(f.IO.ErrOut, "customer %s existed with this ID and is archived: left archived\n", res.ID)
	}
	return printOne(f, opts.Output, &res.Customer)
}
