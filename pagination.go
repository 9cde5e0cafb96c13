package commet

import (
	"fmt"
	"hash/maphash"
	"iter"
)

// Page is one page of a list: its items, whether more follow, and the
// cursor that fetches the next page.
type Page[T any] struct {
	// Data holds the page's items; it may be empty even when HasMore is true.
	Data []T `json:"data"`
	// HasMore reports whether another page follows.
	HasMore bool `json:"hasMore"`
	// NextCursor fetches the next page when passed back as the Cursor
	// parameter; it is where a walk that stopped here can resume.
	NextCursor string `json:"nextCursor"`
}

const (
	// maxEmptyPages is how many empty pages in a row a walk accepts.
	maxEmptyPages = 100
	// maxCursorBytes bounds a cursor, which goes back in the URL.
	maxCursorBytes = 4096
)

// pages walks the pages that fetch returns, from cursor start on, as
// hasMore and nextCursor lead. It holds no state between two walks, so each
// range starts over; it remembers one 8-byte hash per page to refuse a
// repeated cursor.
func pages[T any](start string, fetch func(cursor string) (*Page[T], error)) iter.Seq2[*Page[T], error] {
	return func(yield func(*Page[T], error) bool) {
		seed := maphash.MakeSeed()
		seen := map[uint64]struct{}{maphash.String(seed, start): {}}
		cursor, empty := start, 0
		for {
			page, err := fetch(cursor)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) || !page.HasMore {
				return
			}
			if empty++; len(page.Data) > 0 {
				empty = 0
			}
			var broken string
			h := maphash.String(seed, page.NextCursor)
			switch _, dup := seen[h]; {
			case page.NextCursor == "":
				broken = "hasMore is true but nextCursor is empty"
			case len(page.NextCursor) > maxCursorBytes:
				broken = fmt.Sprintf("a cursor of %d bytes is too long to send back", len(page.NextCursor))
			case dup:
				broken = fmt.Sprintf("the server repeated cursor %q", printable(page.NextCursor, 64))
			case empty >= maxEmptyPages:
				broken = fmt.Sprintf("%d empty pages in a row, each claiming more", empty)
			}
			if broken != "" {
				yield(nil, fmt.Errorf("%w: %s", ErrPagination, broken))
				return
			}
			seen[h] = struct{}{}
			cursor = page.NextCursor
		}
	}
}

// items flattens an iterator of pages into one of their items.
func items[T any](pages iter.Seq2[*Page[T], error]) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		for page, err := range pages {
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range page.Data {
				if !yield(&page.Data[i], nil) {
					return
				}
			}
		}
	}
}
