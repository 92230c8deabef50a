package convirzatest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
)

// Server is a Fake listening on a loopback port, like httptest.Server. One
// listener plays both hosts: URL is the API base and AuthURL the OAuth root.
type Server struct {
	*Fake

	// URL is the API base URL, version path included:
	// "http://127.0.0.1:PORT/v3". Pass it to the client as its base URL.
	URL string
	// AuthURL is the OAuth service root, "http://127.0.0.1:PORT", without a
	// path: the client appends /oauth/token and friends.
	AuthURL string

	srv       *http.Server
	served    chan struct{} // closed when Serve returns
	mu        sync.Mutex
	open      map[net.Conn]struct{} // connections not yet closed
	conns     sync.WaitGroup        // one per open connection, so Close can wait for their goroutines
	closeOnce sync.Once
}

// NewServer starts a Server for the test and closes it in t.Cleanup. It fails
// the test if no loopback port can be opened.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := start(opts)
	if err != nil {
		t.Fatalf("convirzatest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a Server outside of a test, for examples and the standalone
// binary; the caller must call Close. It panics if no loopback port can be
// opened, as httptest.NewServer does.
func Start(opts ...Option) *Server {
	s, err := start(opts)
	if err != nil {
		panic("convirzatest: " + err.Error())
	}
	return s
}

func start(opts []Option) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		// Hosts without IPv4 loopback still have IPv6 loopback.
		var err6 error
		if ln, err6 = net.Listen("tcp6", "[::1]:0"); err6 != nil {
			return nil, fmt.Errorf("listen on a loopback port: %w", errors.Join(err, err6))
		}
	}
	s := &Server{Fake: NewFake(opts...), served: make(chan struct{}), open: map[net.Conn]struct{}{}}
	s.AuthURL = "http://" + ln.Addr().String()
	s.URL = s.AuthURL + "/v3"
	s.srv = &http.Server{
		Handler: s.Fake,
		ConnState: func(c net.Conn, st http.ConnState) {
			s.mu.Lock()
			defer s.mu.Unlock()
			switch st {
			case http.StateNew:
				s.open[c] = struct{}{}
				s.conns.Add(1)
			case http.StateClosed, http.StateHijacked:
				if _, ok := s.open[c]; ok {
					delete(s.open, c)
					s.conns.Done()
				}
			}
		},
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// Close stops the listener, closes every connection and waits until the
// server's goroutines have returned. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.ClearFaults() // ends Latency waits, which would hold connections open
		_ = s.srv.Close()
		<-s.served
		// A connection accepted while Close ran may have escaped it; no new
		// one can appear now that Serve has returned.
		s.mu.Lock()
		for c := range s.open {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.conns.Wait()
	})
}
