package commettest

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// idempotencyTTL is how long an answer is kept for replay.
const idempotencyTTL = 24 * time.Hour

// answer is a finished response: what is stored for a replay.
type answer struct {
	status int
	body   []byte
}

// idemEntry is the stored answer of one Idempotency-Key.
type idemEntry struct {
	hash    [32]byte      // of the method, path and body that first used the key
	done    chan struct{} // closed once the first request has its answer
	ans     answer        // valid after done; status 0 when it was not kept
	expires time.Time
}

// idempotency replays the first answer given to each Idempotency-Key.
type idempotency struct {
	mu      sync.Mutex
	entries map[string]*idemEntry
	inserts int
}

func newIdempotency() *idempotency {
	return &idempotency{entries: map[string]*idemEntry{}}
}

func requestHash(method, path string, body []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// do runs handle once per key: a replay with the same request gets the
// first answer (replayed true); the same key on another request gets a 409.
// Two concurrent requests with one key never both run: the second waits
// for the first. Answers of 5xx are not kept, so a retry runs again.
func (s *idempotency) do(ctx context.Context, key string, hash [32]byte, now time.Time, handle func() answer) (ans answer, replayed, conflict bool) {
	for {
		s.mu.Lock()
		e, ok := s.entries[key]
		if ok && now.After(e.expires) {
			delete(s.entries, key)
			ok = false
		}
		if !ok {
			e = &idemEntry{hash: hash, done: make(chan struct{}), expires: now.Add(idempotencyTTL)}
			s.entries[key] = e
			s.sweep(now)
			s.mu.Unlock()
			return s.run(key, e, handle), false, false
		}
		s.mu.Unlock()
		if e.hash != hash {
			return answer{}, false, true
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return answer{}, false, false
		}
		if e.ans.status != 0 {
			return e.ans, true, false
		}
		// The first try was not kept (a 5xx): this one runs afresh.
	}
}

func (s *idempotency) run(key string, e *idemEntry, handle func() answer) answer {
	ans := handle()
	s.mu.Lock()
	if ans.status >= 500 {
		delete(s.entries, key)
	} else {
		e.ans = ans
	}
	s.mu.Unlock()
	close(e.done)
	return ans
}

// sweep drops expired entries now and then, so memory stays bounded by
// what a day of requests stores. Called with mu held.
func (s *idempotency) sweep(now time.Time) {
	if s.inserts++; s.inserts%4096 != 0 {
		return
	}
	for k, e := range s.entries {
		select {
		case <-e.done:
			if now.After(e.expires) {
				delete(s.entries, k)
			}
		default:
		}
	}
}
