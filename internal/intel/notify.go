package intel

import (
	"sync"
	"time"
)

// Defaults of SetOnChange.
const (
	DefaultChangeQuiet    = 2 * time.Second
	DefaultChangeMaxDelay = 15 * time.Second
)

// changeNotifier calls a hook once a burst of indicator changes has
// settled: quiet after the last change, and never later than maxDelay
// after the first change of the burst, so a steady trickle still gets
// through.
type changeNotifier struct {
	mu       sync.Mutex
	fn       func()
	quiet    time.Duration
	maxDelay time.Duration
	timer    *time.Timer
	first    time.Time
	closed   bool
}

// SetOnChange registers fn, called on its own goroutine after indicators
// were created, merged, edited, revoked, re-labelled or imported (an import
// or feed pull calls it once, when it finishes). A burst of changes gives
// one call: quiet after the last change (DefaultChangeQuiet when zero), at
// most maxDelay after the first (DefaultChangeMaxDelay when zero).
// Detection registers its index rebuild here.
func (s *Service) SetOnChange(fn func(), quiet, maxDelay time.Duration) {
	if quiet <= 0 {
		quiet = DefaultChangeQuiet
	}
	if maxDelay < quiet {
		maxDelay = max(DefaultChangeMaxDelay, quiet)
	}
	n := &s.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	n.fn, n.quiet, n.maxDelay = fn, quiet, maxDelay
}

// changed notes one change of indicators.
func (s *Service) changed() {
	n := &s.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fn == nil || n.closed {
		return
	}
	now := time.Now()
	if n.timer == nil {
		n.first = now
		n.timer = time.AfterFunc(n.quiet, n.fire)
		return
	}
	wait := min(n.quiet, n.maxDelay-now.Sub(n.first))
	n.timer.Reset(max(wait, 0))
}

func (n *changeNotifier) fire() {
	n.mu.Lock()
	n.timer = nil
	fn, closed := n.fn, n.closed
	n.mu.Unlock()
	if fn != nil && !closed {
		fn()
	}
}

// stop cancels a pending call; later changes call nothing.
func (n *changeNotifier) stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	if n.timer != nil {
		n.timer.Stop()
		n.timer = nil
	}
}
