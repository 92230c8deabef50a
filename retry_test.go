package convirza

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// methodCall runs one SDK call of each HTTP method against /users/7.
var methodCalls = map[string]func(c *Client) error{
	"GET": func(c *Client) error { _, err := c.Users.Get(context.Background(), 7); return err },
	"PUT": func(c *Client) error {
		_, err := c.Users.Update(context.Background(), 7, &UpdateUserParams{
			Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin})
		return err
	},
	"DELETE": func(c *Client) error { return c.Users.Delete(context.Background(), 7) },
	"PATCH": func(c *Client) error {
		_, err := c.Users.Patch(context.Background(), 7, &PatchUserParams{FirstName: Set("A")})
		return err
	},
	"POST": func(c *Client) error {
		_, err := c.Users.Create(context.Background(), &CreateUserParams{
			Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin})
		return err
	},
}

func methodPath(method string) string {
	if method == "POST" {
		return testBase + "/users"
	}
	return testBase + "/users/7"
}

// TestRetryMatrix runs every method against every retryable failure, with
// each form of Retry-After, and counts the attempts: idempotent methods get
// 1 + 2 retries, POST and PATCH exactly one attempt.
func TestRetryMatrix(t *testing.T) {
	faults := []struct {
		name   string
		status int // 0: the connection is reset
	}{
		{"429", 429}, {"500", 500}, {"502", 502}, {"503", 503}, {"504", 504}, {"reset", 0},
	}
	retryAfter := map[string]string{
		"none":    "",
		"seconds": "1",
		"date":    time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat),
	}
	for method, do := range methodCalls {
		for _, f := range faults {
			for raName, ra := range retryAfter {
				t.Run(fmt.Sprintf("%s/%s/retry-after-%s", method, f.name, raName), func(t *testing.T) {
					c, mt := newWireClient(t)
					var attempts atomic.Int32
					mt.RegisterResponder(method, methodPath(method), func(*http.Request) (*http.Response, error) {
						attempts.Add(1)
						if f.status == 0 {
							return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
						}
						resp := newJSONResponse(f.status, fmt.Sprintf(`{"code":%d,"message":"try later","request_id":"rid-%d"}`, f.status, f.status))
						if ra != "" {
							resp.Header.Set("Retry-After", ra)
						}
						return resp, nil
					})
					err := do(c)
					require.Error(t, err)

					want := 3
					if !idempotent(method) {
						want = 1
					}
					assert.Equal(t, int32(want), attempts.Load(), "attempts")

					if f.status == 0 {
						assert.ErrorIs(t, err, syscall.ECONNRESET)
						assert.Equal(t, !idempotent(method), errors.Is(err, ErrOutcomeUnknown), "outcome unknown")
						return
					}
					var apiErr *APIError
					require.ErrorAs(t, err, &apiErr, "the server's error is kept")
					assert.Equal(t, f.status, apiErr.StatusCode)
					assert.Equal(t, "try later", apiErr.Message)
					assert.Equal(t, fmt.Sprintf("rid-%d", f.status), apiErr.RequestID)
					if f.status == 429 {
						assert.ErrorIs(t, err, ErrRateLimited)
					} else {
						assert.ErrorIs(t, err, ErrServer)
					}
					if ra != "" {
						assert.Greater(t, apiErr.RetryAfter, time.Duration(0))
					}
				})
			}
		}
	}
}

func TestNotRetried(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 410, 501} {
		c, mt := newWireClient(t)
		var attempts atomic.Int32
		mt.RegisterResponder("GET", testBase+"/users/7", func(*http.Request) (*http.Response, error) {
			attempts.Add(1)
			return newJSONResponse(status, `{}`), nil
		})
		_, err := c.Users.Get(context.Background(), 7)
		require.Error(t, err)
		assert.Equal(t, int32(1), attempts.Load(), "status %d", status)
	}
}

func TestDialErrorRetriedForEveryMethod(t *testing.T) {
	for method, do := range methodCalls {
		c, mt := newWireClient(t)
		var attempts atomic.Int32
		mt.RegisterResponder(method, methodPath(method), func(*http.Request) (*http.Response, error) {
			if attempts.Add(1) < 3 {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
			}
			return newJSONResponse(200, envelopeJSON(`{"ct_user_id":7,"userId":7}`)), nil
		})
		require.NoError(t, do(c), method)
		assert.Equal(t, int32(3), attempts.Load(), "%s: a request that never left is safe to resend", method)
	}
}

func TestRetryOptions(t *testing.T) {
	c, mt := newWireClient(t, WithMaxRetries(0))
	var attempts atomic.Int32
	mt.RegisterResponder("GET", testBase+"/users/7", func(*http.Request) (*http.Response, error) {
		attempts.Add(1)
		return newJSONResponse(503, `{}`), nil
	})
	mt.RegisterResponder("POST", testBase+"/users", func(*http.Request) (*http.Response, error) {
		attempts.Add(1)
		return newJSONResponse(503, `{}`), nil
	})
	_, err := c.Users.Get(context.Background(), 7)
	assert.ErrorIs(t, err, ErrServer)
	assert.Equal(t, int32(1), attempts.Load(), "WithMaxRetries(0)")

	attempts.Store(0)
	_, _ = c.Users.Get(context.Background(), 7, WithRetries(4))
	assert.Equal(t, int32(5), attempts.Load(), "per-call WithRetries(4)")

	attempts.Store(0)
	_, _ = c.Users.Create(context.Background(), &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B",
		OrgUnitID: 1, Role: RoleAdmin}, WithRetries(2), WithRetryNonIdempotent())
	assert.Equal(t, int32(3), attempts.Load(), "POST opted into retries")
}

func TestRetrySucceedsAfterTransientFailure(t *testing.T) {
	c, mt := newWireClient(t)
	var attempts atomic.Int32
	mt.RegisterResponder("GET", testBase+"/users/7", func(*http.Request) (*http.Response, error) {
		if attempts.Add(1) == 1 {
			return newJSONResponse(502, `<html>bad gateway</html>`), nil
		}
		return newJSONResponse(200, envelopeJSON(`{"ct_user_id":7}`)), nil
	})
	u, err := c.Users.Get(context.Background(), 7)
	require.NoError(t, err)
	assert.Equal(t, int64(7), u.ID)
	assert.Equal(t, int32(2), attempts.Load())
}

func TestNoSleepAfterContextEnds(t *testing.T) {
	c, mt := newWireClient(t, WithRetryBackoff(time.Hour, time.Hour))
	var attempts atomic.Int32
	mt.RegisterResponder("GET", testBase+"/users/7", func(*http.Request) (*http.Response, error) {
		attempts.Add(1)
		resp := newJSONResponse(503, `{}`)
		resp.Header.Set("Retry-After", "3600")
		return resp, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Users.Get(ctx, 7)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second, "the wait ends with the context")
	assert.Equal(t, int32(1), attempts.Load())

	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, err = c.Users.Get(canceled, 7)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int32(1), attempts.Load(), "a done context sends nothing")
}

func TestBackoff(t *testing.T) {
	withRA := func(v string) *http.Response {
		return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {v}}}
	}
	assert.Equal(t, 3*time.Second, backoff(time.Millisecond, time.Minute, 0, withRA("3")), "seconds")
	d := backoff(time.Millisecond, time.Minute, 0, withRA(time.Now().Add(10*time.Second).UTC().Format(http.TimeFormat)))
	assert.InDelta(t, float64(10*time.Second), float64(d), float64(2*time.Second), "HTTP date")
	assert.Equal(t, 30*time.Second, backoff(time.Millisecond, 30*time.Second, 0, withRA("86400")), "capped")
	assert.Equal(t, time.Duration(0), backoff(time.Millisecond, time.Minute, 0, withRA(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))), "a past date")
	for attempt := range 8 {
		ceiling := min(100*time.Millisecond<<attempt, time.Second)
		for range 50 {
			w := backoff(100*time.Millisecond, time.Second, attempt, withRA("soon"))
			assert.GreaterOrEqual(t, w, time.Duration(0))
			assert.Less(t, w, ceiling, "full jitter below min(max, base·2^n)")
		}
	}
	assert.Equal(t, time.Duration(0), backoff(0, 0, 3, nil))
}

func TestRetryAfterParsing(t *testing.T) {
	for v, want := range map[string]bool{"": false, "x": false, "-1": false, "0": true, "120": true,
		"Wed, 21 Oct 2015 07:28:00 GMT": true} {
		_, ok := retryAfter(&http.Response{Header: http.Header{"Retry-After": {v}}})
		assert.Equal(t, want, ok, v)
	}
	_, ok := retryAfter(nil)
	assert.False(t, ok)
}
