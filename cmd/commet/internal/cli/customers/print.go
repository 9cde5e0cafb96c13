package customers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/rivo/uniseg"
	"github.com/spf13/cobra"
)

// The output formats of the commands that print customers.
const (
	formatTable  = "table"
	formatJSON   = "json"
	formatNDJSON = "ndjson"
	formatCSV    = "csv"
)

// outputFlag adds --output to flags, with the formats allowed.
func outputFlag(cmd *cobra.Command, p *string, formats ...string) {
	cmd.Flags().StringVarP(p, "output", "o", "", fmt.Sprintf("output format: %s (default: table on a terminal, json otherwise)", strings.Join(formats, ", ")))
	completeValues(cmd, "output", formats...)
}

// completeValues makes the shell complete the flag name of cmd with values.
func completeValues(cmd *cobra.Command, name string, values ...string) {
	// Its only error is a flag that does not exist or has a completion
	// already, a bug that TestFlagValuesComplete catches.
	_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// resolveFormat checks format against the allowed ones; an empty one is a
// table on a terminal and JSON otherwise.
func resolveFormat(io *cmdutil.IOStreams, format string, allowed ...string) (string, error) {
	if format == "" {
		if io.OutTTY && slices.Contains(allowed, formatTable) {
			return formatTable, nil
		}
		return allowed[1], nil
	}
	if !slices.Contains(allowed, format) {
		return "", cmdutil.UsageErrorf("--output %q: want one of %s", format, strings.Join(allowed, ", "))
	}
	return format, nil
}

// printer writes customers in one format; Flush writes what is buffered
// (a page of a table), Close ends the output (a JSON array's bracket).
type printer interface {
	Add(c *commet.Customer) error
	Flush() error
	Close() error
}

// newPrinter returns a printer of format to w: list says whether many
// customers follow (a JSON array, a table with a row each) or one. A CSV's
// cells are neutralised (see csvHelp).
func newPrinter(format string, w io.Writer, list bool) printer {
	switch format {
	case formatTable:
		if list {
			return &tablePrinter{w: w}
		}
		return &detailPrinter{w: w}
	case formatNDJSON:
		return newNDJSONPrinter(w)
	case formatCSV:
		return newCSVPrinter(w, false)
	default:
		return &jsonPrinter{w: w, list: list}
	}
}

type jsonPrinter struct {
	w    io.Writer
	list bool
	open bool // the list's "[" is written
	n    int
}

func (p *jsonPrinter) begin() error {
	if p.open {
		return nil
	}
	p.open = true
	_, err := io.WriteString(p.w, "[")
	return err
}

func (p *jsonPrinter) Add(c *commet.Customer) error {
	prefix := ""
	if p.list {
		prefix = "  "
		sep := ",\n  "
		if p.n == 0 {
			sep = "\n  "
		}
		if err := p.begin(); err != nil {
			return err
		}
		if _, err := io.WriteString(p.w, sep); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(c, prefix, "  ")
	if err != nil {
		return err
	}
	if !p.list {
		b = append(b, '\n')
	}
	p.n++
	_, err = p.w.Write(b)
	return err
}

func (p *jsonPrinter) Flush() error { return nil }

func (p *jsonPrinter) Close() error {
	if !p.list {
		return nil
	}
	if err := p.begin(); err != nil {
		return err
	}
	_, err := io.WriteString(p.w, "\n]\n")
	return err
}

// ndjsonPrinter writes a customer a line, as json.Marshal writes it. The
// lines gather in a buffer that reaches w when it fills, at each Flush (a
// page: an export checkpoints only what reached its file) and at Close: a
// write per customer made an NDJSON export cost more than a CSV one, whose
// rows take two passes. One encoder serves every line.
type ndjsonPrinter struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

func newNDJSONPrinter(w io.Writer) *ndjsonPrinter {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &ndjsonPrinter{bw: bw, enc: json.NewEncoder(bw)}
}

// Add encodes c and a newline, the bytes of json.Marshal(c) and "\n"
// (Encoder escapes HTML as Marshal does), into the buffer; a customer that
// cannot be encoded writes nothing.
func (p *ndjsonPrinter) Add(c *commet.Customer) error { return p.enc.Encode(c) }

func (p *ndjsonPrinter) Flush() error { return p.bw.Flush() }
func (p *ndjsonPrinter) Close() error { return p.bw.Flush() }

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// tablePrinter writes a row per customer. It streams a page at a time:
// the columns take their widths from the first page, and widen when a later
// value is wider, so pages line up as long as their values fit.
type tablePrinter struct {
	w      io.Writer
	widths []int
	rows   [][]string
	any    bool
}

var tableHeader = []string{"ID", "EXTERNAL ID", "EMAIL", "NAME", "ACTIVE", "CREATED"}

func (p *tablePrinter) Add(c *commet.Customer) error {
	if p.widths == nil && len(p.rows) == 0 {
		p.rows = append(p.rows, tableHeader)
	}
	p.any = true
	p.rows = append(p.rows, []string{cell(c.ID), cell(c.ExternalID), cell(c.Email), cell(c.FullName),
		yesNo(c.IsActive), c.CreatedAt.UTC().Format("2006-01-02 15:04")})
	return nil
}

func (p *tablePrinter) Flush() error {
	if p.widths == nil {
		p.widths = make([]int, len(tableHeader))
	}
	for _, row := range p.rows {
		for i, v := range row {
			p.widths[i] = max(p.widths[i], uniseg.StringWidth(v))
		}
	}
	var b strings.Builder
	for _, row := range p.rows {
		for i, v := range row {
			b.WriteString(v)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", p.widths[i]-uniseg.StringWidth(v)+2))
			}
		}
		b.WriteByte('\n')
	}
	p.rows = p.rows[:0]
	_, err := io.WriteString(p.w, b.String())
	return err
}

func (p *tablePrinter) Close() error {
	if !p.any {
		_, err := io.WriteString(p.w, "no customers\n")
		return err
	}
	return p.Flush()
}

// detailPrinter writes one customer, a field a line.
type detailPrinter struct{ w io.Writer }

func (p *detailPrinter) Add(c *commet.Customer) error {
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, cell(v))
		}
	}
	line("id", c.ID)
	line("externalId", c.ExternalID)
	line("billingEmail", c.Email)
	line("fullName", c.FullName)
	line("domain", c.Domain)
	line("website", c.Website)
	line("timezone", c.Timezone)
	line("language", c.Language)
	line("industry", c.Industry)
	line("employeeCount", c.EmployeeCount)
	for _, k := range slices.Sorted(maps.Keys(c.Metadata)) {
		b, _ := json.Marshal(c.Metadata[k])
		line("metadata."+k, string(b))
	}
	line("active", yesNo(c.IsActive))
	line("createdAt", stamp(c.CreatedAt))
	line("updatedAt", stamp(c.UpdatedAt))
	return tw.Flush()
}

func (p *detailPrinter) Flush() error { return nil }
func (p *detailPrinter) Close() error { return nil }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// cell makes a value safe for one cell of a terminal table: no tabs, line
// breaks or other control characters, which would break the table or
// reach the terminal as escape sequences.
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}
