package convirza

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPIErrorDecoding(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		header    http.Header
		message   string
		requestID string
		sentinel  error
		fields    []FieldError
	}{
		{"envelope", 404, `{"code":404,"message":"User not found","request_id":"r1","timestamp":"2026-01-20T12:34:56.789Z"}`,
			nil, "User not found", "r1", ErrNotFound, nil},
		{"camelCase request id and error key", 403, `{"code":403,"error":"Admin only","requestId":"r2"}`,
			nil, "Admin only", "r2", ErrForbidden, nil},
		{"nested error object", 400, `{"error":{"message":"bad thing"}}`, nil, "bad thing", "", ErrBadRequest, nil},
		{"validation errors", 400, `{"code":400,"message":"Validation failed","errors":[{"field":"limit","message":"must be between 1 and 200"}],"request_id":"r3"}`,
			nil, "Validation failed", "r3", ErrBadRequest, []FieldError{{Field: "limit", Message: "must be between 1 and 200"}}},
		{"errors as strings", 400, `{"message":"nope","errors":["a","b"]}`, nil, "nope", "", ErrBadRequest,
			[]FieldError{{Message: "a"}, {Message: "b"}}},
		{"data member ignored", 409, `{"code":409,"message":"exists","data":null}`, nil, "exists", "", ErrConflict, nil},
		{"HTML from a proxy", 502, `<html><body>Bad Gateway</body></html>`, nil, "Bad Gateway", "", ErrServer, nil},
		{"empty body", 410, ``, http.Header{"X-Request-Id": {"hdr"}}, "Gone", "hdr", ErrGone, nil},
		{"code differs from status: status wins", 404, `{"code":500,"message":"x"}`, nil, "x", "", ErrNotFound, nil},
		{"quoted code", 429, `{"code":"429","message":"slow down"}`, http.Header{"Retry-After": {"7"}}, "slow down", "", ErrRateLimited, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newWireClient(t, WithMaxRetries(0))
			mt.RegisterResponder("GET", testBase+"/users/1", func(*http.Request) (*http.Response, error) {
				resp := newJSONResponse(tc.status, tc.body)
				for k, v := range tc.header {
					resp.Header[k] = v
				}
				return resp, nil
			})
			_, err := c.Users.Get(context.Background(), 1)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, tc.message, apiErr.Message)
			assert.Equal(t, tc.requestID, apiErr.RequestID)
			assert.Equal(t, tc.fields, apiErr.Errors)
			assert.Equal(t, []byte(tc.body), apiErr.Body)
			assert.Equal(t, "GET", apiErr.Method)
			assert.Equal(t, "/users/1", apiErr.Path)
			assert.ErrorIs(t, err, tc.sentinel)
			for _, other := range []error{ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrGone, ErrRateLimited, ErrServer, ErrDuplicateEmail} {
				if other != tc.sentinel {
					assert.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

func TestAPIErrorFieldsAndString(t *testing.T) {
	c, mt := newWireClient(t, WithMaxRetries(0))
	respond(mt, "GET", "/users/list", 400, `{"code":400,"message":"Validation failed","errors":[{"field":"limit","message":"too big"},{"field":"offset","message":"negative"}],"request_id":"r9","timestamp":"2026-01-20T12:34:56.789Z"}`)
	_, err := c.Users.List(context.Background(), nil)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, time.Date(2026, 1, 20, 12, 34, 56, 789e6, time.UTC), apiErr.Timestamp)
	assert.Equal(t, 400, apiErr.Code)
	assert.Equal(t, "convirza: GET /users/list: 400 Bad Request: Validation failed (limit: too big; offset: negative) [request_id r9]", err.Error())
}

func TestErrorInsideSuccessEnvelope(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/users/1", 200, `{"code":404,"message":"User not found","data":null,"request_id":"r-in-200"}`)
	_, err := c.Users.Get(context.Background(), 1)
	assert.ErrorIs(t, err, ErrNotFound)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "r-in-200", apiErr.RequestID)
	assert.Equal(t, 1, rec.count())
}

func TestSuccessBodies(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "DELETE", "/users/1", 204, ``)
	assert.NoError(t, c.Users.Delete(context.Background(), 1), "204 with no body")

	respond(mt, "GET", "/users/2", 200, `{"code":200,"data":{"ct_user_id":2`)
	_, err := c.Users.Get(context.Background(), 2)
	assert.ErrorIs(t, err, ErrInvalidResponse, "cut short")

	respond(mt, "GET", "/users/3", 200, `<html>maintenance</html>`)
	_, err = c.Users.Get(context.Background(), 3)
	assert.ErrorIs(t, err, ErrInvalidResponse, "not JSON")

	small, mt2 := newWireClient(t, WithMaxResponseBytes(64))
	respond(mt2, "GET", "/users/4", 200, envelopeJSON(`{"ct_user_id":4,"first_name":"`+strings.Repeat("x", 200)+`"}`))
	_, err = small.Users.Get(context.Background(), 4)
	assert.ErrorIs(t, err, ErrInvalidResponse, "over the cap")
	assert.Contains(t, err.Error(), "larger than 64 bytes")
}

func TestErrorBodyReadUpTo1MiB(t *testing.T) {
	c, mt := newWireClient(t, WithMaxRetries(0))
	respond(mt, "GET", "/users/1", 500, strings.Repeat("x", 3<<20))
	_, err := c.Users.Get(context.Background(), 1)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Len(t, apiErr.Body, 1<<20)
}

func TestAPIErrorIsNil(t *testing.T) {
	e := &APIError{StatusCode: 500}
	assert.False(t, e.Is(nil))
	assert.False(t, errors.Is(e, ErrDuplicateEmail))
	assert.True(t, errors.Is(&APIError{StatusCode: 409, kind: ErrDuplicateEmail}, ErrDuplicateEmail))
}
