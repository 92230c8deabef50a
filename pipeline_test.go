package convirza

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// transportFunc is an http.RoundTripper from a function.
type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type ctxKey struct{}

// The call's state rides in the request's context without hiding the
// caller's: values, cancellation and deadline all reach the transport.
func TestCallContextCarriesCallersValuesAndCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "caller's value"))
	defer cancel()
	var seen []*http.Request
	var mu sync.Mutex
	tr := transportFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
		assert.Equal(t, "caller's value", r.Context().Value(ctxKey{}))
		require.NotNil(t, stateOf(r.Context()), "the call state is reachable")
		if strings.HasSuffix(r.URL.Path, "/2") {
			cancel()
			<-r.Context().Done() // the caller's cancellation reaches the attempt
			return nil, r.Context().Err()
		}
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"code":200,"data":{"ct_user_id":1}}`))}, nil
	})
	c, err := NewClient(WithBaseURL(testBase), WithToken(testToken), WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)

	u, err := c.Users.Get(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, int64(1), u.ID)
	_, err = c.Users.Get(ctx, 2)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Len(t, seen, 2, "a canceled call is not retried")
}

// The bearer goes on a copy of the request: the request the retry loop
// holds (and replays) keeps its own header map, and each attempt carries the
// token of its time.
func TestAuthTransportLeavesTheRequestAlone(t *testing.T) {
	var got []string
	next := transportFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.Header.Get("Authorization"))
		return &http.Response{StatusCode: 204, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	c, err := NewClient(WithBaseURL(testBase), WithToken(testToken))
	require.NoError(t, err)
	at := &authTransport{c: c, next: next}
	st := &callState{Context: context.Background(), bearer: true}
	req, err := http.NewRequestWithContext(st, "GET", testBase+"/users/1", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	for range 2 {
		_, err = at.RoundTrip(req)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"Bearer " + testToken, "Bearer " + testToken}, got)
	assert.Empty(t, req.Header.Get("Authorization"), "the caller's request is unchanged")
	assert.Equal(t, "application/json", req.Header.Get("Accept"))

	c.tokens = &staticToken{tok: "rotated"}
	_, err = at.RoundTrip(req)
	require.NoError(t, err)
	assert.Equal(t, "Bearer rotated", got[2], "a new token is used at once")
}

// errReader fails after its data.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// A body cut short by the connection is an invalid response, not a decoded
// half.
func TestTruncatedBodyIsInvalidResponse(t *testing.T) {
	tr := transportFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r, ContentLength: 200,
			Body: io.NopCloser(&errReader{data: []byte(`{"code":200,"data":{"ct_user_id":1}}`), err: io.ErrUnexpectedEOF})}, nil
	})
	c, err := NewClient(WithBaseURL(testBase), WithToken(testToken), WithHTTPClient(&http.Client{Transport: tr}), WithMaxRetries(0))
	require.NoError(t, err)
	_, err = c.Users.Get(context.Background(), 1)
	assert.ErrorIs(t, err, ErrInvalidResponse)
}
