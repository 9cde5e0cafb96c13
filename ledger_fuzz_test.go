package commet

import (
	"fmt"
	"testing"
)

// FuzzLedger plays operations read off the input on a ledger and on a map
// standing for it, and checks after each that every ID added is found, as
// itself, with its state and the fingerprint last held, and that no other
// ID is: IDs of any bytes and lengths, a hash that collides at will,
// fingerprints of any presence in entries of any room, bulk additions that
// grow the index and fill arena chunks.
//
//	go test -fuzz FuzzLedger -run '^$' .
func FuzzLedger(f *testing.F) {
	f.Add([]byte{0, 3, 'a', 'b', 'c', 2, 1, 0, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{1, 0, 0, 0, 0, 5, 2, 3, 1, 7, 0xaa, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{1, 3, 200, 0, 1, 'x', 8, 1, 0, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		hash, most := seededHash(), 1<<14
		if next()%2 == 1 {
			most = 1 << 10                 // every find walks the whole chain: keep it short
			hash = func(s string) uint64 { // few values: long probe chains
				if s == "" {
					return 0
				}
				return uint64(s[0] % 4)
			}
		}
		l := newLedger(hash)
		defer l.free()
		type entry struct {
			state idState
			held  *fingerprint
		}
		model := map[string]*entry{}
		var order []string
		add := func(id string, room int) {
			if _, ok := model[id]; ok {
				return
			}
			st := newIDState(len(order), idInFlight)
			if _, seen := l.find(id); seen {
				t.Fatalf("%q found before it was added", id)
			}
			if _, ok := l.add(id, st, room); !ok {
				if len(id) <= 255 {
					t.Fatalf("%q (%d bytes) not added", id, len(id))
				}
				return
			}
			model[id] = &entry{state: st}
			order = append(order, id)
		}
		for len(data) > 0 {
			switch op := next() % 4; op {
			case 0: // an ID of the input's bytes
				n, room := int(next()), int(next()%10)-1
				n = min(n, len(data))
				add(string(data[:n]), room)
				data = data[n:]
			case 1: // many IDs at once
				n, room := int(next())*8, int(next()%9)
				for i := range min(n, most-len(order)) {
					add(fmt.Sprintf("bulk-%d-%d", len(order), i), room)
				}
			case 2, 3: // hold a fingerprint, or set a state, on an ID held
				if len(order) == 0 {
					continue
				}
				id := order[int(next())%len(order)]
				r, seen := l.find(id)
				if !seen {
					t.Fatalf("%q lost", id)
				}
				if op == 3 {
					st := newIDState(int(next())<<8|int(next()), int(next()%3))
					r.setState(st)
					model[id].state = st
					continue
				}
				fp := fingerprint{has: next()}
				for i := range fp.h {
					if fp.has&(1<<i) != 0 {
						fp.h[i] = uint16(next())<<8 | uint16(next())
					}
				}
				l.hold(r, fp)
				model[id].held = &fp
			}
		}
		for _, id := range order {
			r, seen := l.find(id)
			if !seen {
				t.Fatalf("%q lost", id)
			}
			e := model[id]
			if got := l.idOf(r); got != id {
				t.Fatalf("%q found as %q", id, got)
			}
			if r.state() != e.state {
				t.Fatalf("%q: state %d, want %d", id, r.state(), e.state)
			}
			if e.held != nil && l.held(r) != *e.held {
				t.Fatalf("%q: fingerprint %+v, want %+v", id, l.held(r), *e.held)
			}
			if _, seen := l.find(id + "\x00"); seen && model[id+"\x00"] == nil {
				t.Fatalf("%q found, never added", id+"\x00")
			}
		}
	})
}
