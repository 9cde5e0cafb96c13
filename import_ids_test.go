package commet

import (
	"hash/maphash"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDiffersPresence: Differs names a field that the item sets and the
// customer lacks, or (the email only, which Commet always compares) that
// the customer has and the item leaves empty; a field present on both
// sides with the same value, or absent on both, or left empty by the item
// (but the email), is not named. Every combination of presence of the
// eight compared fields, the values equal where both have them, gives
// exactly that, whether the fingerprint comes straight from the customer
// or back from the ledger, which keeps only the fields present.
func TestDiffersPresence(t *testing.T) {
	t.Parallel() // its own importRun and ledger
	r := &importRun{seed: maphash.MakeSeed()}
	l := newLedger(seededHash())
	defer l.free()
	set := func(mask uint8) (CreateCustomerParams, Customer) {
		var p CreateCustomerParams
		var c Customer
		ps := []*string{&p.Email, &p.FullName, &p.Domain, &p.Website, &p.Timezone, &p.Language, &p.Industry}
		cs := []*string{&c.Email, &c.FullName, &c.Domain, &c.Website, &c.Timezone, &c.Language, &c.Industry}
		for i := range ps {
			if mask&(1<<i) != 0 {
				*ps[i], *cs[i] = "v"+compared[i], " V"+compared[i]+" " // the same, as Commet normalises it, for the email
				if i > 0 {
					*cs[i] = "v" + compared[i] + " "
				}
			}
		}
		if mask&(1<<7) != 0 {
			p.Metadata, c.Metadata = map[string]any{"seats": 3}, map[string]any{"seats": 3.0}
		}
		return p, c
	}
	// The 256 items, and the 256 customers with the item that created each
	// and its fingerprint (a pure function of the customer and the seed),
	// are made once; the 65,536 pairs below only combine them.
	var items, firsts [256]CreateCustomerParams
	var fps [256]fingerprint
	for mask := range 256 {
		items[mask], _ = set(uint8(mask))
		var customer Customer
		firsts[mask], customer = set(uint8(mask))
		fps[mask] = r.fingerprintOf(&customer)
		require.Equal(t, uint8(mask), fps[mask].has)
	}
	// sameNames is require.Equal's test for the names, without testify's
	// cost on the 131,072 that pass: like reflect.DeepEqual, it tells a nil
	// slice from an empty one.
	sameNames := func(a, b []string) bool { return (a == nil) == (b == nil) && slices.Equal(a, b) }
	n := 0
	for itemMask := range 256 {
		for heldMask := range 256 {
			item, first, fp := &items[itemMask], &firsts[heldMask], fps[heldMask]
			var want []string
			for i, name := range compared {
				inItem, inHeld := itemMask&(1<<i) != 0, heldMask&(1<<i) != 0
				if inItem && !inHeld || name == "billingEmail" && !inItem && inHeld {
					want = append(want, name)
				}
			}
			if got := r.differs(item, fp); !sameNames(want, got) {
				require.Equal(t, want, got, "item %08b, customer %08b", itemMask, heldMask)
			}

			rec, ok := l.add(string(rune(n)), newIDState(n, idInFlight), presentFields(first))
			if !ok {
				t.Fatalf("ID %d not added", n)
			}
			l.hold(rec, fp)
			if held := l.held(rec); held != fp {
				require.Equal(t, fp, held)
			}
			if got := r.differs(item, l.held(rec)); !sameNames(want, got) {
				require.Equal(t, want, got, "from the ledger: item %08b, customer %08b", itemMask, heldMask)
			}
			n++
		}
	}
	assert.Empty(t, l.apart, "the room of the item that created the customer holds its fingerprint")
}

// TestDiffersValues: a value that differs is named; one that differs only
// as Commet normalises it (space around it, an email's case, metadata
// numbers) is not.
func TestDiffersValues(t *testing.T) {
	r := &importRun{seed: maphash.MakeSeed()}
	customer := Customer{Email: "ada@example.com", FullName: "Ada", Domain: "ada.example", Metadata: map[string]any{"seats": 3.0}}
	fp := r.fingerprintOf(&customer)
	for _, c := range []struct {
		item CreateCustomerParams
		want []string
	}{
		{CreateCustomerParams{Email: " ADA@example.com", FullName: "Ada ", Metadata: map[string]any{"seats": 3}}, nil},
		{CreateCustomerParams{Email: "bea@example.com", FullName: "Ada", Domain: "ada.example"}, []string{"billingEmail"}},
		{CreateCustomerParams{Email: "ada@example.com", FullName: "Ada L.", Website: "https://ada.example"}, []string{"fullName", "website"}},
		{CreateCustomerParams{Email: "ada@example.com", Metadata: map[string]any{"seats": 4}}, []string{"metadata"}},
		{CreateCustomerParams{Email: "ada@example.com", Metadata: map[string]any{}}, nil},
		{CreateCustomerParams{}, []string{"billingEmail"}},
	} {
		assert.Equal(t, c.want, r.differs(&c.item, fp), "%+v", c.item)
	}
}
