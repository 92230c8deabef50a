package convirzatest

import (
	"sync/atomic"
	"time"
)

// clockOffset is the offset that AdvanceClock and SetClock put on the configured
// time source: the fake's time keeps flowing from wherever it was moved to.
type clockOffset struct{ offset atomic.Int64 } // nanoseconds

// now reads the fake's clock, in UTC and truncated to the millisecond that
// the wire format carries, so a time written out and parsed back compares
// equal to the stored one.
func (f *Fake) now() time.Time {
	return f.cfg.now().Add(time.Duration(f.clock.offset.Load())).UTC().Truncate(time.Millisecond)
}

// Now returns the fake's current time: the configured clock (WithClock, by
// default time.Now) moved by AdvanceClock and SetClock. Token expiry,
// created timestamps, the calls window and broadcast schedules follow it.
func (f *Fake) Now() time.Time { return f.now() }

// AdvanceClock moves the fake's clock by d (back when d is negative), for
// tests of expiry that should not sleep, and returns the new time. Access
// tokens issued 7 days before the new time have expired.
func (f *Fake) AdvanceClock(d time.Duration) time.Time {
	f.clock.offset.Add(int64(d))
	return f.now()
}

// SetClock moves the fake's clock to t, from where it keeps running, and
// returns the new time.
func (f *Fake) SetClock(t time.Time) time.Time {
	f.clock.offset.Store(int64(t.Sub(f.cfg.now())))
	return f.now()
}
