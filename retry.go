package convirza

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// checkRetry is the retry policy (go-retryablehttp's CheckRetry). It never
// retries after the context ends or once the call's retries are used up.
// Connection failures and 429, 500, 502, 503 and 504 are retried for
// idempotent methods; POST and PATCH only when the request provably never
// left (a failed dial), when the caller opted in with
// WithRetryNonIdempotent, or, for a request marked retryUnprocessed, on a
// 429 or 503 (the server says it did not act).
// A body that cannot be sent again is never retried.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	st := stateOf(ctx)
	if st == nil || st.attempt > st.maxRetries || !st.replayable {
		return false, nil
	}
	safe := idempotent(st.method) || st.retryUnsafe
	if err != nil {
		var unsent *unsentError
		if errors.As(err, &unsent) || redirectRefused(err) {
			return false, nil // token trouble, or a refused redirect: the same again
		}
		if neverSent(err) {
			return true, nil
		}
		var large *answerTooLarge
		if errors.As(err, &large) {
			return false, nil // an answer over the size cap: the same again
		}
		if attemptTimedOut(ctx, err) {
			return safe, nil
		}
		return safe && retryableNetError(err), nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return safe || st.unprocessed, nil
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return safe, nil
	}
	return false, nil
}

// neverSent reports whether an error happened before any byte of the
// request could reach the server: the dial failed, or the request never
// left the machine.
func neverSent(err error) bool {
	var op *net.OpError
	var unsent *unsentError
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &unsent)
}

// unsentError is the error of a request that never left the machine: its
// token could not be had, or its context had ended. It is not retried, and
// a POST that gets it is not of unknown outcome.
type unsentError struct{ err error }

func (e *unsentError) Error() string { return e.err.Error() }
func (e *unsentError) Unwrap() error { return e.err }

// retryableNetError tells passing network failures (reset, EOF, timeout)
// from ones that will fail again (a bad certificate, a redirect loop).
func retryableNetError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return false
	}
	msg := err.Error()
	return !strings.Contains(msg, "stopped after") && !strings.Contains(msg, "unsupported protocol scheme")
}

// ErrAttemptTimeout is matched by the error of a call whose last attempt
// ran out of the time WithAttemptTimeout (or the Timeout of the
// http.Client given to WithHTTPClient) allows it. It does not match
// context.DeadlineExceeded, which is kept for the caller's own deadline.
var ErrAttemptTimeout = errors.New("convirza: attempt timed out")

// attemptTimedOut reports whether err is an attempt's timeout while the
// call's own context (ctx) is still live.
func attemptTimedOut(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// backoff is the wait before a retry (go-retryablehttp's Backoff): the
// server's Retry-After when it sent one, else full jitter, random in
// [0, min(max, min·2^attempt)); both capped at max.
func backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if ra, ok := retryAfter(resp); ok {
		return clamp(ra, max)
	}
	ceiling := min << min2(attempt, 30)
	if ceiling <= 0 || ceiling > max {
		ceiling = max
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling)
}

func clamp(d, max time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	if d > max {
		return max
	}
	return d
}

func min2(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min2(int(secs), 1<<20)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// countAttempt numbers each attempt of a call (go-retryablehttp's
// RequestLogHook, which runs before every attempt).
func countAttempt(_ retryablehttp.Logger, req *http.Request, i int) {
	if st := stateOf(req.Context()); st != nil {
		st.attempt = i + 1
	}
}

// outcomeKnown is err without ErrOutcomeUnknown: the error of a call that
// never left because getting its token failed, where that failure (a
// login whose answer was lost) says nothing of the call itself. It reads
// as err and matches everything else err matches.
type outcomeKnown struct{ err error }

func (e outcomeKnown) Error() string { return e.err.Error() }

// Is matches what err matches, but ErrOutcomeUnknown.
func (e outcomeKnown) Is(target error) bool {
	return target != ErrOutcomeUnknown && errors.Is(e.err, target)
}

// As finds the typed errors of err (an *APIError, a *url.Error).
func (e outcomeKnown) As(target any) bool { return errors.As(e.err, target) }
