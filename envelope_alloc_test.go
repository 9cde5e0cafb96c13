package commet

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batchAnswer is the answer of a batch of n items, the one at failAt (if
// any) refused.
func batchAnswer(n, failAt int) []byte {
	var ok, failed []string
	for i := range n {
		if i == failAt {
			failed = append(failed, fmt.Sprintf(`{"index":%d,"error":"billingEmail: Invalid email format"}`, i))
			continue
		}
		ok = append(ok, fmt.Sprintf(`{"id":"cus_%07d","organizationId":"org_1","externalId":"user_%07d","billingEmail":"user%07d@example.com",`+
			`"fullName":"User %d","isActive":true,"createdAt":"2026-05-01T10:00:00Z","updatedAt":"2026-05-01T10:00:00Z"}`, i, i, i, i))
	}
	return []byte(`{"success":true,"data":{"successful":[` + strings.Join(ok, ",") + `],"failed":[` + strings.Join(failed, ",") + `]}}`)
}

// allocated is the bytes and allocations of one call of f, on average.
func allocated(f func()) (bytes, allocs float64) {
	const runs = 50
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / runs, float64(after.Mallocs-before.Mallocs) / runs
}

// TestDecodeBatchSizesItsSliceInAdvance: the customers of a batch answer
// are read into one slice made for the items sent, not grown from nothing
// as decoding does (8 slices, 255 customers' worth, for 100), which was
// most of what Import allocated; the answer reads the same.
func TestDecodeBatchSizesItsSliceInAdvance(t *testing.T) {
	body := batchAnswer(100, 42)
	noRedact := func(s string) string { return s }
	res, err := decodeBatch(body, 100, noRedact)
	require.NoError(t, err)
	plain, err := decodeData[batchData](body)
	require.NoError(t, err)
	assert.Equal(t, *plain.Data.Successful, res.Successful)
	assert.Equal(t, 100, cap(res.Successful), "one slice, of the size sent (grown, it ends at 128)")
	require.Len(t, res.Failed, 1)
	assert.Equal(t, 42, res.Failed[0].Index)

	sized, sizedAllocs := allocated(func() { _, _ = decodeBatch(body, 100, noRedact) })
	grown, grownAllocs := allocated(func() { _, _ = decodeData[batchData](body) })
	customer := float64(unsafe.Sizeof(Customer{}))
	t.Logf("decodeBatch: %.0f bytes, %.0f allocations; decoding the slice grown: %.0f bytes, %.0f allocations (a Customer is %.0f bytes)",
		sized, sizedAllocs, grown, grownAllocs, customer)
	assert.Less(t, sized, grown-100*customer, "the slice grown costs 155 customers more, less what decodeBatch adds")
}

// TestDecodeBatchEveryItemFailed: an answer with no customer is read
// again as it comes (nothing in the slice made in advance proves that
// "successful" was there), and reads as before.
func TestDecodeBatchEveryItemFailed(t *testing.T) {
	res, err := decodeBatch(batchAnswer(1, 0), 1, func(s string) string { return s })
	require.NoError(t, err)
	assert.Empty(t, res.Successful)
	assert.NotNil(t, res.Successful)
	require.Len(t, res.Failed, 1)
	for _, body := range []string{`{"success":true,"data":{"failed":[{"index":0,"error":"x"}]}}`, `{"success":true}`} {
		_, err := decodeBatch([]byte(body), 1, func(s string) string { return s })
		assert.ErrorContains(t, err, "no", body)
	}
}

// BenchmarkDecodeBatch reads the answer of a batch of 100 items; run with
// -benchmem.
func BenchmarkDecodeBatch(b *testing.B) {
	body := batchAnswer(100, -1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeBatch(body, 100, func(s string) string { return s }); err != nil {
			b.Fatal(err)
		}
	}
}
