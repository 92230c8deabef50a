package mockserver

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// drainer stops an http.Server so that every request it read gets its whole
// reply. http.Server.Shutdown closes the connections it sees idle, and can
// close a kept-alive connection whose next request the server goroutine has
// just peeked: that request is then served, and applied, but its reply is
// lost. The drainer never closes a connection itself. Once draining, it
// gives idle and new connections a read deadline of now, so the server
// goroutine itself either finds no new request and closes the connection,
// or has read the request and serves it; every reply from then on carries
// "Connection: close".
type drainer struct {
	mu       sync.Mutex
	draining bool
	conns    map[net.Conn]http.ConnState
	empty    chan struct{} // closed once draining with no connection left
}

func newDrainer() *drainer {
	return &drainer{conns: map[net.Conn]http.ConnState{}, empty: make(chan struct{})}
}

// connState is the server's ConnState hook.
func (d *drainer) connState(c net.Conn, st http.ConnState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(d.conns, c)
	default:
		d.conns[c] = st
	}
	d.checkEmpty()
}

func (d *drainer) checkEmpty() {
	if d.draining && len(d.conns) == 0 {
		select {
		case <-d.empty:
		default:
			close(d.empty)
		}
	}
}

// handler marks every reply made while draining as the connection's last.
func (d *drainer) handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		draining := d.draining
		d.mu.Unlock()
		if draining {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// drain closes the listener, so that new connections are refused, and waits
// until every connection has closed after its last reply, or ctx ends.
func (d *drainer) drain(ctx context.Context, ln net.Listener) error {
	d.mu.Lock()
	d.draining = true
	_ = ln.Close()
	d.checkEmpty()
	d.mu.Unlock()
	// Again each tick: the server clears a connection's read deadline each
	// time it goes idle, and sets its header timeout when it starts reading.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		d.mu.Lock()
		d.expire()
		d.mu.Unlock()
		select {
		case <-d.empty:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// expire gives the idle and new connections a read deadline of now. d.mu
// is held.
func (d *drainer) expire() {
	for c, st := range d.conns {
		if st == http.StateIdle || st == http.StateNew {
			_ = c.SetReadDeadline(time.Now())
		}
	}
}
