package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a keyed token-bucket rate limiter (per client address, per
// account, per reported identifier). Idle keys are forgotten so memory stays
// bounded; at most maxKeys are tracked, and a flood of new keys beyond that
// is refused rather than growing the map.
type Limiter struct {
	mu      sync.Mutex
	keys    map[string]*entry
	every   rate.Limit
	burst   int
	maxKeys int
	now     func() time.Time
	swept   time.Time
}

type entry struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter allows burst events at once and then one per interval, per key.
func NewLimiter(interval time.Duration, burst int) *Limiter {
	return &Limiter{keys: map[string]*entry{}, every: rate.Every(interval), burst: burst, maxKeys: 100_000, now: time.Now}
}

// Allow reports whether an event for key may happen now.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > time.Minute {
		for k, e := range l.keys {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(l.keys, k)
			}
		}
		l.swept = now
	}
	e, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= l.maxKeys {
			return false
		}
		e = &entry{lim: rate.NewLimiter(l.every, l.burst)}
		l.keys[key] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}
