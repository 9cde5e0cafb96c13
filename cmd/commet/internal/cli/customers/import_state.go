package customers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
)

// importState is what a resumed import needs: when the migration began,
// on Commet's clock, so that the rows an earlier run created count as
// created again (ImportCustomersParams.Since), and which input it is for.
type importState struct {
	Version int       `json:"version"`
	Input   string    `json:"input"`
	Since   time.Time `json:"since"`
}

// migrationStart returns the start kept in the state file, or, on the
// first run, asks Commet for its time and keeps it there.
func migrationStart(o *ImportOptions, client *commet.Client, input string) (time.Time, error) {
	name := input
	if abs, err := filepath.Abs(o.File); err == nil && o.File != "-" {
		name = abs
	}
	b, err := os.ReadFile(o.State)
	switch {
	case err == nil:
		var st importState
		if err := json.Unmarshal(b, &st); err != nil || st.Since.IsZero() {
			return time.Time{}, cmdutil.ConfigError(fmt.Errorf("--state-file %s is not an import's state file", o.State))
		}
		if st.Input != name {
			return time.Time{}, cmdutil.ConfigError(fmt.Errorf("--state-file %s is the state of importing %s: remove it, or give another file, to import %s", o.State, st.Input, name))
		}
		fmt.Fprintf(o.Factory.IO.ErrOut, "resuming the migration begun at %s (from %s)\n", st.Since.Format(time.RFC3339), o.State)
		return st.Since, nil
	case !errors.Is(err, fs.ErrNotExist):
		return time.Time{}, cmdutil.ConfigError(err)
	}
	since, err := commetNow(o, client)
	if err != nil {
		return time.Time{}, err
	}
	b, _ = json.MarshalIndent(importState{Version: 1, Input: name, Since: since}, "", "  ")
	if err := cmdutil.WriteFileAtomic(o.State, append(b, '\n')); err != nil {
		return time.Time{}, cmdutil.ConfigError(err)
	}
	return since, nil
}

// commetNow is the time on Commet's clock, read off the Date of a small
// answer: whole seconds, rounded down, so never after the import's first
// batch reaches Commet.
func commetNow(o *ImportOptions, client *commet.Client) (time.Time, error) {
	var resp commet.Response
	if _, err := client.Customers.List(o.Ctx, &commet.ListCustomersParams{Limit: 1}, commet.WithResponseInto(&resp)); err != nil {
		return time.Time{}, fmt.Errorf("asking Commet for its time: %w", err)
	}
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return t.UTC(), nil
	}
	return time.Now().UTC().Add(-time.Second), nil
}
