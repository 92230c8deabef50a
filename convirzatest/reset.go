package convirzatest

import (
	"encoding/json"
	"fmt"
)

// resetPoint is what Reset goes back to: the state and faults at the last
// SetResetPoint. A nil state is the built-in seed, so NewFake pays nothing
// for a reset point it may never use.
type resetPoint struct {
	state  []byte // a Snapshot; nil: newState()
	faults []Fault
}

// SetResetPoint makes the current state and pending faults what Reset
// returns to. A new Fake's reset point is its built-in seed; cmd/convirza-mock
// sets one after loading its -seed, -state and -faults files, so that a
// reset goes back to how the process started.
func (f *Fake) SetResetPoint() error {
	data, err := f.Snapshot()
	if err != nil {
		return fmt.Errorf("convirzatest: reset point: %w", err)
	}
	faults := f.Faults()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.origin = resetPoint{state: data, faults: faults}
	return nil
}

// Reset puts the fake back to its reset point (see SetResetPoint): records,
// tokens, faults and login attempts as they were there, empty request and
// delivery logs, and the clock without the moves of AdvanceClock and SetClock. Tests
// that share one fake call it between them instead of starting a new one.
func (f *Fake) Reset() {
	f.ClearFaults() // first: ends the latency waits under way
	f.mu.Lock()
	st := newState()
	if f.origin.state != nil {
		st = &state{}
		// The reset point was written by Snapshot from a checked state, so
		// it reads back; makeMaps covers maps that encoded as null.
		_ = json.Unmarshal(f.origin.state, st)
		makeMaps(st)
	}
	f.st = st
	clear(f.logins)
	faults := f.origin.faults
	f.mu.Unlock()
	for _, ft := range faults {
		_ = f.InjectFault(ft) // valid: they were pending
	}
	f.log.reset()
	f.deliveries.reset()
	f.clock.offset.Store(0)
}
