package rows

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
)

// Scan is what Check learnt of an input.
type Scan struct {
	// Rows is the number of rows read, failed ones included.
	Rows int
	// CommetIDs says that some row is a customer as Commet returns it,
	// whose id was not read as the customer's ID (see Reader.CommetIDs).
	CommetIDs bool

	seed     maphash.Seed
	repeated map[uint64]bool
}

// Repeated reports whether id is the ID of more than one row, when Check
// was asked to find out (always false otherwise). A 64-bit hash stands for
// each ID: a wrong yes is a one in 2^64 chance, and costs only memory.
func (s *Scan) Repeated(id string) bool {
	return s != nil && s.repeated[maphash.String(s.seed, id)]
}

// Check reads the whole input as Open with o would, before anything is
// sent, and returns the first fault that refuses the whole input: a
// *ConfigError (flags, a header without an id or email column, an NDJSON
// input none of whose lines has an id or an email, or no line at all), an
// *EncodingError, a *QuoteError, or an I/O error. Rows that fail alone do
// not refuse it. With repeats, the Scan tells which IDs more than one row
// carries (8 bytes and a map slot per distinct ID, while Check runs).
func Check(r io.Reader, o Options, repeats bool) (*Scan, error) {
	rd, err := Open(r, o)
	if err != nil {
		return nil, err
	}
	scan := &Scan{}
	var seen map[uint64]bool
	if repeats {
		scan.seed, seen, scan.repeated = maphash.MakeSeed(), map[uint64]bool{}, map[uint64]bool{}
	}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		scan.Rows++
		if seen != nil && row.Params.ID != "" {
			h := maphash.String(scan.seed, row.Params.ID)
			if seen[h] {
				scan.repeated[h] = true
			}
			seen[h] = true
		}
	}
	scan.CommetIDs = rd.CommetIDs
	if rd.Format == "ndjson" {
		if scan.Rows == 0 {
			return nil, &ConfigError{"the input holds no JSON object: want one customer a line"}
		}
		for _, need := range []string{"id", "email"} {
			if !rd.saw[need] {
				hint := ""
				if need == "id" && rd.CommetIDs {
					hint = "; its id keys hold Commet's own IDs (cus_...), not yours: --map id=id takes them all the same"
				}
				return nil, &ConfigError{fmt.Sprintf("no line has a key for the %s (such as %s): name it with --map %s=KEY%s",
					need, map[string]string{"id": "externalId or id", "email": "billingEmail or email"}[need], need, hint)}
			}
		}
	}
	return scan, nil
}
