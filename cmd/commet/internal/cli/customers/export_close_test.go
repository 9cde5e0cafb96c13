package customers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/commet-go/commet"
	"github.com/commet-go/commet/cmd/commet/internal/cli/cmdutil"
	"github.com/commet-go/commet/commettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullDisk is a file whose Close says the disk is full, as a file system
// that allocates late (or NFS) may say only then.
type fullDisk struct{ *os.File }

var errFullDisk = errors.New("close: no space left on device")

func (d fullDisk) Close() error {
	d.File.Close()
	return errFullDisk
}

func TestExportFailsWhenItsFileFailsToClose(t *testing.T) {
	t.Parallel()
	srv := commettest.NewServer()
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: srv.Transport()}
	client, err := commet.NewClient("ck_sandbox_test", commet.WithBaseURL(commettest.InMemoryBaseURL), commet.WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = client.Customers.Create(context.Background(), &commet.CreateCustomerParams{ID: "u1", Email: "ada@example.com"})
	require.NoError(t, err)

	for _, format := range []string{formatNDJSON, formatJSON} {
		t.Run(format, func(t *testing.T) {
			var stderr bytes.Buffer
			f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: io.Discard, ErrOut: &stderr},
				map[string]string{"COMMET_API_KEY": "ck_sandbox_test", "COMMET_BASE_URL": commettest.InMemoryBaseURL}, nil)
			f.HTTPClient = hc
			dir := t.TempDir()
			o := &ExportOptions{Factory: f, Ctx: context.Background(), Output: format, Out: filepath.Join(dir, "out"), State: filepath.Join(dir, "state"),
				openFile: func(name string, st *exportState) (io.WriteCloser, error) {
					fh, err := openExportFile(name, st)
					return fullDisk{fh}, err
				}}
			err := exportRun(o)
			require.ErrorIs(t, err, errFullDisk)
			assert.NotContains(t, stderr.String(), "exported", "no success is claimed")
		})
	}
}

// writeCounter counts the writes that reach it.
type writeCounter struct {
	bytes.Buffer
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestExportNDJSONWritesAPageAtATime(t *testing.T) {
	t.Parallel()
	srv := commettest.NewServer()
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: srv.Transport()}
	client, err := commet.NewClient("ck_sandbox_test", commet.WithBaseURL(commettest.InMemoryBaseURL), commet.WithHTTPClient(hc))
	require.NoError(t, err)
	const n = 250 // three pages
	_, err = client.Customers.Import(context.Background(), benchCustomers(n), nil)
	require.NoError(t, err)

	var out writeCounter
	f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &out, ErrOut: io.Discard},
		map[string]string{"COMMET_API_KEY": "ck_sandbox_test", "COMMET_BASE_URL": commettest.InMemoryBaseURL}, nil)
	f.HTTPClient = hc
	require.NoError(t, exportRun(&ExportOptions{Factory: f, Ctx: context.Background(), Output: formatNDJSON}))

	assert.LessOrEqual(t, out.writes, 3, "one write a page, not one a customer")
	var want bytes.Buffer
	for c, err := range client.Customers.All(context.Background(), nil) {
		require.NoError(t, err)
		b, err := json.Marshal(c)
		require.NoError(t, err)
		want.Write(append(b, '\n'))
	}
	assert.Equal(t, want.String(), out.String(), "each line is json.Marshal's")
}
