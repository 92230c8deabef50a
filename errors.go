package convirza

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors. Every *APIError matches the sentinel of its status class
// through errors.Is, so callers never compare status codes or messages:
//
//	if errors.Is(err, convirza.ErrDuplicateEmail) { ... }
var (
	// ErrBadRequest matches a 400: validation failed on the server.
	ErrBadRequest = errors.New("convirza: bad request")
	// ErrUnauthorized matches a 401 that survived one token refresh. A 401 can
	// also mean "org unit outside your scope" (Get Org Unit Hierarchy).
	ErrUnauthorized = errors.New("convirza: unauthorized")
	// ErrForbidden matches a 403: the role or the org-unit scope forbids it.
	ErrForbidden = errors.New("convirza: forbidden")
	// ErrNotFound matches a 404: unknown id, or an id outside the caller's scope.
	ErrNotFound = errors.New("convirza: not found")
	// ErrConflict matches every 409.
	ErrConflict = errors.New("convirza: conflict")
	// ErrDuplicateEmail matches the 409 that creating or updating a user gets
	// for an email already in use. It also matches ErrConflict.
	ErrDuplicateEmail = errors.New("convirza: email already in use")
	// ErrGone matches a 410, such as an expired recording link: fetch the call
	// again for a fresh one.
	ErrGone = errors.New("convirza: gone")
	// ErrRateLimited matches a 429 that survived the retries.
	ErrRateLimited = errors.New("convirza: rate limited")
	// ErrServer matches every 5xx that survived the retries.
	ErrServer = errors.New("convirza: server error")
	// ErrInvalidParams is wrapped by every error the SDK returns before any I/O
	// because an argument is invalid (a missing id, a limit outside 1..200, an
	// empty email).
	ErrInvalidParams = errors.New("convirza: invalid parameters")
	// ErrOutcomeUnknown is wrapped by the error of a POST or PATCH whose
	// connection failed after the request may have reached the server. Such a
	// request is never retried automatically: the server may have acted on it,
	// so check (for example list by email) before sending it again.
	ErrOutcomeUnknown = errors.New("convirza: outcome unknown: the request may have been processed")
)

// FieldError is one entry of the "errors" array of a validation failure.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// APIError is the error for every HTTP response that is not a success, and
// for a 2xx whose envelope carries a code of 400 or more.
type APIError struct {
	// StatusCode is the HTTP status. It wins over Code when they differ.
	StatusCode int
	// Code is the envelope's "code", when the body had one.
	Code int
	// Message is the envelope's "message" (or "error"), or the status text.
	Message string
	// Errors lists field validation failures, when the server sent them.
	Errors []FieldError
	// RequestID is the id to quote to Convirza support.
	RequestID string
	// Timestamp is the server's time of the response, when sent.
	Timestamp time.Time
	// Method and Path name the request, Path relative to its base URL.
	Method, Path string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Body is the raw response body, at most 1 MiB.
	Body []byte

	// kind is a more specific sentinel the request declared for this status
	// (ErrDuplicateEmail for a 409 of a user write).
	kind error
}

// Error names the method, path, status, message and request id.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "convirza: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for i, fe := range e.Errors {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", fe.Field, fe.Message)
		if i == len(e.Errors)-1 {
			b.WriteString(")")
		}
	}
	if e.RequestID != "" {
		b.WriteString(" [request_id ")
		b.WriteString(e.RequestID)
		b.WriteString("]")
	}
	return b.String()
}

// Is reports whether target is the sentinel of this error's status.
func (e *APIError) Is(target error) bool {
	if target == nil {
		return false
	}
	if e.kind != nil && target == e.kind {
		return true
	}
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrGone:
		return e.StatusCode == http.StatusGone
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	}
	return false
}

// invalidf returns an error wrapping ErrInvalidParams, for bad input found
// before any I/O.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidParams}, args...)...)
}
