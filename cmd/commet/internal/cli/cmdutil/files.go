package cmdutil

import (
	"errors"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces name with data, so that a crash at any moment
// leaves either the old file or the new one, never half of one: the data
// goes to a temporary file in the same directory, is synced, and is
// renamed over name.
func WriteFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if err = errors.Join(err, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
