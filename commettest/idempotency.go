package commettest

import (
	"crypto/sha256"
	"sync"
	"time"
)

// idempotencyTTL is how long an answer is kept for replay.
const idempotencyTTL = 24 * time.Hour

// idemEntry is the record of one Idempotency-Key.
type idemEntry struct {
	hash    [32]byte // of the method, path and body that first used the key
	done    bool     // the first request has its answer in ans
	ans     answer
	expires time.Time
}

// idemOutcome says what became of a request with an Idempotency-Key.
type idemOutcome int

const (
	idemFresh      idemOutcome = iota // the key was new: the request ran
	idemReplayed                      // the first answer, replayed
	idemMismatch                      // the key was used with another request
	idemInProgress                    // the first request is still running
)

// idempotency replays the first answer given to each Idempotency-Key.
type idempotency struct {
	mu      sync.Mutex
	entries map[string]*idemEntry
	inserts int
}

func newIdempotency() *idempotency {
	return &idempotency{entries: map[string]*idemEntry{}}
}

func (s *idempotency) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = map[string]*idemEntry{}
}

func requestHash(method, path string, body []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// do runs handle once per key, as Commet's error reference says: a replay
// of the same request gets the first answer; the key on another request
// (method, path or body) is a mismatch, never retried; the key arriving
// while its first request still runs is in progress, to retry shortly.
// Answers of 5xx are not kept, so a retry runs afresh.
func (s *idempotency) do(key string, hash [32]byte, now time.Time, handle func() answer) (answer, idemOutcome) {
	s.mu.Lock()
	e, ok := s.entries[key]
	if ok && e.done && now.After(e.expires) {
		delete(s.entries, key)
		ok = false
	}
	switch {
	case ok && e.hash != hash:
		s.mu.Unlock()
		return answer{}, idemMismatch
	case ok && !e.done:
		s.mu.Unlock()
		return answer{}, idemInProgress
	case ok:
		ans := e.ans
		s.mu.Unlock()
		return ans, idemReplayed
	}
	e = &idemEntry{hash: hash}
	s.entries[key] = e
	s.sweep(now)
	s.mu.Unlock()

	ans := handle()
	s.mu.Lock()
	defer s.mu.Unlock()
	if ans.status >= 500 {
		if s.entries[key] == e {
			delete(s.entries, key)
		}
	} else {
		e.ans, e.done, e.expires = ans, true, now.Add(idempotencyTTL)
	}
	return ans, idemFresh
}

// sweep drops expired entries now and then, so memory stays bounded by
// what a day of requests stores. Called with mu held.
func (s *idempotency) sweep(now time.Time) {
	if s.inserts++; s.inserts%4096 != 0 {
		return
	}
	for k, e := range s.entries {
		if e.done && now.After(e.expires) {
			delete(s.entries, k)
		}
	}
}
