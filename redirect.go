package convirza

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrRedirectRefused is matched by the error of a call whose server
// redirected it where the SDK does not follow: from https to http, or to
// another scheme, host or port for a call to the OAuth host or a request
// with a body (which would forward a password, a refresh token or a
// record). The error is a *RedirectError that names the target.
var ErrRedirectRefused = errors.New("convirza: redirect refused")

// RedirectError is a redirect the SDK refused to follow.
type RedirectError struct {
	// From and To are the scheme and host of the request redirected and of
	// the Location it was sent to.
	From, To string
	// Status is the redirect's status code.
	Status int
	// Reason says which rule refused it.
	Reason string
}

// Error names both hosts and the rule.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("convirza: redirect refused: %d from %s to %s: %s", e.Status, e.From, e.To, e.Reason)
}

// Is makes a RedirectError match ErrRedirectRefused.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirectRefused }

// maxRedirects is net/http's own limit, kept when the user sets no
// CheckRedirect of their own.
const maxRedirects = 10

// checkRedirect is the redirect policy of every request, applied before the
// user's own CheckRedirect (from WithHTTPClient), which then runs as usual.
// The bearer token never crosses origins anyway (authTransport adds it only
// for the API's origin); these rules keep bodies and downgrades in.
func (c *Client) checkRedirect(user func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		prev, first := via[len(via)-1], via[0]
		refuse := func(reason string) error {
			status := 0
			if req.Response != nil {
				status = req.Response.StatusCode
			}
			return &RedirectError{From: prev.URL.Scheme + "://" + prev.URL.Host,
				To: req.URL.Scheme + "://" + req.URL.Host, Status: status, Reason: reason}
		}
		if prev.URL.Scheme == "https" && req.URL.Scheme != "https" {
			return refuse("a redirect never leaves https")
		}
		if !sameOrigin(req.URL, first.URL) {
			if st := stateOf(req.Context()); st != nil && st.auth {
				return refuse("a call to the OAuth host is never redirected to another origin")
			}
			if hasBody(first) {
				return refuse("a request with a body is never redirected to another origin")
			}
		}
		if user != nil {
			err := user(req, via)
			if err == nil || err == http.ErrUseLastResponse { // compared as net/http does
				return err
			}
			return &userRedirectError{err}
		}
		if len(via) >= maxRedirects {
			return &userRedirectError{fmt.Errorf("stopped after %d redirects", maxRedirects)}
		}
		return nil
	}
}

// userRedirectError is the verdict of the user's CheckRedirect (or of the
// redirect limit): returned as it is, and not retried, since the same
// redirect would get the same verdict.
type userRedirectError struct{ err error }

func (e *userRedirectError) Error() string { return e.err.Error() }
func (e *userRedirectError) Unwrap() error { return e.err }

// redirectRefused reports whether err is a redirect that a rule or the
// user's CheckRedirect refused.
func redirectRefused(err error) bool {
	var ours *RedirectError
	var theirs *userRedirectError
	return errors.As(err, &ours) || errors.As(err, &theirs)
}

// hasBody reports whether r was sent with a body.
func hasBody(r *http.Request) bool {
	// Not GetBody: go-retryablehttp sets one for every request.
	return r.ContentLength != 0 || (r.Body != nil && r.Body != http.NoBody)
}
