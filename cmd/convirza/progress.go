package main

import (
	"fmt"
	"io"
	"time"
)

// progressEvery is how often the progress line is redrawn.
const progressEvery = 250 * time.Millisecond

// progress draws one line on stderr, when stderr is a terminal: windows,
// calls, calls a second and recordings.
type progress struct {
	w                 io.Writer // nil: no progress shown
	rec               *downloader
	windows, doneWins int
	calls             int64
	start, drawn      time.Time
}

func newProgress(e *env, windows int, rec *downloader) *progress {
	p := &progress{windows: windows, rec: rec, start: time.Now()}
	if e.stderrTerminal {
		p.w = e.stderr
	}
	return p
}

func (p *progress) call() {
	p.calls++
	if p.w != nil && p.calls%64 == 0 && time.Since(p.drawn) >= progressEvery {
		p.draw()
	}
}

func (p *progress) windowDone(n int) {
	p.doneWins = n
	if p.w != nil {
		p.draw()
	}
}

func (p *progress) draw() {
	p.drawn = time.Now()
	rate := float64(p.calls) / max(time.Since(p.start).Seconds(), 1e-3)
	line := fmt.Sprintf("windows %d/%d  calls %d  %.0f calls/s", p.doneWins, p.windows, p.calls, rate)
	if p.rec != nil {
		line += fmt.Sprintf("  recordings %d (%d already there)", p.rec.downloaded.Load(), p.rec.skipped.Load())
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
}

// stop ends the progress line.
func (p *progress) stop() {
	if p.w != nil {
		p.draw()
		fmt.Fprintln(p.w)
	}
}
