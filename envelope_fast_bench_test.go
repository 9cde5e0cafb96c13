package commet

import (
	"strings"
	"testing"
)

// BenchmarkDecode reads the same answers by the fast path and by
// encoding/json (decodeData): a customer, as BenchmarkCallOverhead's
// canned transport answers it, and a page of 100 of them.
//
//	go test -run '^$' -bench '^BenchmarkDecode$' -benchmem
func BenchmarkDecode(b *testing.B) {
	const customer = `{"id":"cus_1","organizationId":"org_1","externalId":"user_7","billingEmail":"user7@example.com","isActive":true,"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`
	one := []byte(`{"success":true,"data":` + customer + `}`)
	page := []byte(`{"success":true,"data":[` + strings.TrimSuffix(strings.Repeat(customer+",", 100), ",") + `],"hasMore":true,"nextCursor":"c1"}`)
	b.Run("customer/fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeCustomerFast(one); !ok {
				b.Fatal("the fast path gave up")
			}
		}
	})
	b.Run("customer/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeData[Customer](one); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("page100/fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p Page[Customer]
			if !decodePageFast(page, &p) {
				b.Fatal("the fast path gave up")
			}
		}
	})
	b.Run("page100/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeData[[]Customer](page); err != nil {
				b.Fatal(err)
			}
		}
	})
}
