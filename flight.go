package convirza

import (
	"context"
	"errors"
	"sync"
)

// flightGroup lets the goroutines that need the same renewal share one:
// the first to arrive leads it, and those that arrive while it runs wait for
// its outcome, success or failure, instead of starting their own. A failed
// refresh is so made once, not once per waiting goroutine.
type flightGroup[T any] struct {
	mu  sync.Mutex
	cur *flight[T]
}

// flight is one run of the work a flightGroup shares.
type flight[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// join returns the flight in progress, or a new one that the caller leads
// (lead true) and must end with finish.
func (g *flightGroup[T]) join() (f *flight[T], lead bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cur != nil {
		return g.cur, false
	}
	g.cur = &flight[T]{done: make(chan struct{})}
	return g.cur, true
}

// finish records the outcome of f and wakes its waiters. The next join
// starts a new flight.
func (g *flightGroup[T]) finish(f *flight[T], val T, err error) {
	g.mu.Lock()
	g.cur = nil
	g.mu.Unlock()
	f.val, f.err = val, err
	close(f.done)
}

// wait returns the outcome of f, or ctx's error if ctx ends first.
func (f *flight[T]) wait(ctx context.Context) (T, error) {
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// do returns the outcome of the flight in progress, or of fn, run by the
// caller as the leader of a new one. A waiter whose leader's own context
// ended (and not its own) leads the next flight instead of taking that
// error. Waiters are released even if fn panics; the panic goes on in the
// leader.
func (g *flightGroup[T]) do(ctx context.Context, fn func() (T, error)) (T, error) {
	for {
		f, lead := g.join()
		if lead {
			var val T
			err := errFlightPanicked
			defer func() { g.finish(f, val, err) }()
			val, err = fn()
			return val, err
		}
		val, err := f.wait(ctx)
		if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			continue
		}
		return val, err
	}
}

// errFlightPanicked is what the waiters of a flight whose work panicked get.
var errFlightPanicked = errors.New("convirza: the shared work panicked")
