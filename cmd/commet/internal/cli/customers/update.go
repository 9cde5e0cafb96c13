package customers

import (
	"context"
	"fmt"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// UpdateOptions are the options of commet customers update.
type UpdateOptions struct {
	Factory *cmdutil.Factory
	Ctx     context.Context
	ID      string
	Params  commet.UpdateCustomerParams
	Output  string
	Yes     bool
}

// NewCmdUpdate returns commet customers update.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{Factory: f}
	var (
		email, name, timezone, domain, website, language, industry string
		metadata                                                   []string
		addr                                                       addressFlags
	)
	cmd := &cobra.Command{
		Use:   "update ID [flags]",
		Short: "Change a customer's fields; the fields not given are left as they are",
		Example: `  commet customers update user_1 --name "Ada King" --timezone Europe/London
  commet customers update user_1 --metadata seats:number=7 --output json`,
		Args: exactID,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx, opts.ID = ctxOf(cmd), args[0]
			fl := cmd.Flags()
			set := func(name string, v string) *string {
				if fl.Changed(name) {
					return &v
				}
				return nil
			}
			p := &opts.Params
			p.Email, p.FullName, p.Timezone = set("email", email), set("name", name), set("timezone", timezone)
			p.Domain, p.Website, p.Language, p.Industry = set("domain", domain), set("website", website), set("language", language), set("industry", industry)
			md, err := parseMetadata(metadata)
			if err != nil {
				return err
			}
			p.Metadata = md
			p.Address = addr.address()
			if p.Email == nil && p.FullName == nil && p.Timezone == nil && p.Domain == nil && p.Website == nil &&
				p.Language == nil && p.Industry == nil && p.Metadata == nil && p.Address == nil {
				return cmdutil.UsageErrorf("nothing to update: give at least one field, such as --email or --name")
			}
			return runPrinting(f.IO, &opts.Output, opts, runF, updateRun)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&email, "email", "", "new billing email")
	fl.StringVar(&name, "name", "", "new name (\"\" clears it)")
	fl.StringVar(&timezone, "timezone", "", "new IANA time zone")
	fl.StringVar(&domain, "domain", "", "new web domain")
	fl.StringVar(&website, "website", "", "new website URL")
	fl.StringVar(&language, "language", "", "new language")
	fl.StringVar(&industry, "industry", "", "new industry")
	fl.StringArrayVar(&metadata, "metadata", nil, "replace the metadata with these `key=value` pairs (key:number=5, key:bool=true, key:json='{...}' for other types; repeat for more)")
	addr.register(fl)
	outputFlag(cmd, &opts.Output, customerFormats...)
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask before writing with a key that is not a sandbox key")
	return cmd
}

func updateRun(opts *UpdateOptions) error {
	f := opts.Factory
	client, err := f.Client()
	if err != nil {
		return err
	}
	if err := f.ConfirmWrite(opts.Yes, "updating "+opts.ID); err != nil {
		return err
	}
	c, err := client.Customers.Update(opts.Ctx, opts.ID, &opts.Params)
	if err != nil {
		return describeErr(opts.ID, err)
	}
	fmt.Fprintf(f.IO.ErrOut, "updated customer %s\n", c.ID)
	return printOne(f, opts.Output, c)
}
