package commettest

import (
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf8"
)

// benchCreateBody is a typical create body, as the SDK's Import sends it.
var benchCreateBody = []byte(`{"billingEmail":"user42@example.com","externalId":"user_42","fullName":"Person 42",` +
	`"timezone":"Europe/Paris","metadata":{"plan":"pro","seats":3},` +
	`"address":{"line1":"1 Rue de Rivoli","city":"Paris","postalCode":"75001","country":"FR"}}`)

func benchBatchBody() []byte {
	items := make([]json.RawMessage, 100)
	for i := range items {
		items[i] = json.RawMessage(fmt.Sprintf(`{"billingEmail":"user%d@example.com","externalId":"user_%d","fullName":"Person %d"}`, i, i, i))
	}
	b, _ := json.Marshal(map[string]any{"customers": items})
	return b
}

// BenchmarkDecode measures decoding (and validating) request bodies: one
// create body, and a batch of 100 plain items, UTF-8 check included. The
// fake's speed matters to the SDK's BenchmarkImport.
func BenchmarkDecode(b *testing.B) {
	b.Run("create", func(b *testing.B) {
		b.SetBytes(int64(len(benchCreateBody)))
		for b.Loop() {
			if !utf8.Valid(benchCreateBody) {
				b.Fatal("not UTF-8")
			}
			body, ok := parseBody(benchCreateBody)
			if !ok {
				b.Fatal("not parsed")
			}
			if _, errs := newCustomer(&body, nil); len(errs) > 0 {
				b.Fatal(errs)
			}
		}
	})
	b.Run("create-parse-only", func(b *testing.B) {
		b.SetBytes(int64(len(benchCreateBody)))
		for b.Loop() {
			if _, ok := parseBody(benchCreateBody); !ok {
				b.Fatal("not parsed")
			}
		}
	})
	batch := benchBatchBody()
	b.Run("batch100", func(b *testing.B) {
		b.SetBytes(int64(len(batch)))
		for b.Loop() {
			// The steps of createBatch before it stores anything.
			if !utf8.Valid(batch) || !checkJSON(batch) {
				b.Fatal("batch")
			}
			var list []byte
			eachMember(batch, func(key, v []byte) {
				if string(key) == "customers" {
					list = v
				}
			})
			var items [][]byte
			eachElement(list, func(v []byte) { items = append(items, v) })
			for _, item := range items {
				body, ok := parseItem(item)
				if !ok {
					b.Fatal("not parsed")
				}
				if _, errs := newCustomer(&body, nil); len(errs) > 0 {
					b.Fatal(errs)
				}
			}
		}
	})
}
