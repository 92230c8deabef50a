package convirza

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echo answers status with everything the request carried (its
// Authorization header and its body) in every text member of an error
// envelope, as a careless or hostile server might.
func echo(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		said := "got " + r.Header.Get("Authorization") + " with " + buf.String()
		body, _ := json.Marshal(map[string]any{
			"code": status, "message": said, "request_id": said,
			"errors": []map[string]string{{"field": said, "message": said}},
		})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// assertNoSecret checks that no secret is in err, its APIError's text
// members, or the log, and that the redaction marker is.
func assertNoSecret(t *testing.T, err error, logs *bytes.Buffer, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	texts := map[string]string{"err.Error()": err.Error(), "Message": apiErr.Message, "Body": string(apiErr.Body),
		"RequestID": apiErr.RequestID, "Errors": fmt.Sprint(apiErr.Errors), "%+v": fmt.Sprintf("%+v", err), "log": logs.String()}
	for name, text := range texts {
		for _, s := range secrets {
			assert.NotContains(t, text, s, name)
			assert.NotContains(t, text, jsonEscape(s), name)
		}
	}
	assert.Contains(t, apiErr.Message, redactedText)
	assert.Contains(t, string(apiErr.Body), redactedText)
}

// TestEchoedSecretsAreRedacted has every call answered by a server that
// echoes what it received: the password, the access token and the refresh
// token never come back in an error, an APIError or a log line.
func TestEchoedSecretsAreRedacted(t *testing.T) {
	const (
		password = `pa"ss\wo<rd>&more`
		access   = "access-secret-0123456789"
		refresh  = "refresh-secret-0123456789"
	)
	secrets := []string{password, access, refresh}
	login := answer(200, tokenJSON(access, refresh, time.Now().Add(time.Hour)))
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{
		loginRoute:                 login,
		refreshRoute:               echo(400),
		"POST /oauth/revoke-token": echo(400),
		getRoute:                   echo(400),
		"GET /v3/users/2":          echo(401),
		"POST /v3/users":           echo(409),
	})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := clientOn(t, srv, WithCredentials(testEmail, password), WithLogger(logger))
	ctx := context.Background()

	_, err := c.Users.Get(ctx, 1)
	assertNoSecret(t, err, &logs, secrets...)
	_, err = c.Users.Get(ctx, 2) // 401, refresh echoed too
	assertNoSecret(t, err, &logs, secrets...)
	_, err = c.Users.Create(ctx, &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: refresh, OrgUnitID: 1, Role: RoleAdmin})
	assertNoSecret(t, err, &logs, secrets...)

	// By hand: the secret of the call's own body.
	srv.routes[loginRoute] = echo(401)
	_, err = c.Auth.Login(ctx, testEmail, "another-password-42")
	assertNoSecret(t, err, &logs, "another-password-42", password)
	_, err = c.Auth.Refresh(ctx, "hand-refresh-token-77")
	assertNoSecret(t, err, &logs, "hand-refresh-token-77")
	err = c.Auth.Revoke(ctx, "hand-revoked-token-88", AccessToken)
	assertNoSecret(t, err, &logs, "hand-revoked-token-88")

	// A fixed token.
	fixed := clientOn(t, srv, WithToken(testToken), WithLogger(logger))
	_, err = fixed.Users.Get(ctx, 1)
	assertNoSecret(t, err, &logs, testToken)
}

// TestNilContextIsRefused calls every method of every service, and Do,
// with a nil context: each returns ErrInvalidParams, none panics.
func TestNilContextIsRefused(t *testing.T) {
	srv := newCountingServer(t, false, nil)
	c := clientOn(t, srv, WithToken(testToken))
	var nilCtx context.Context
	require.ErrorIs(t, c.Do(nilCtx, "GET", "/users/1", nil, nil), ErrInvalidParams)

	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	services := reflect.ValueOf(c).Elem()
	methods := 0
	for i := range services.NumField() {
		svc := services.Field(i)
		if !services.Type().Field(i).IsExported() || svc.Kind() != reflect.Pointer {
			continue
		}
		for m := range svc.NumMethod() {
			method := svc.Method(m)
			mt := method.Type()
			if mt.NumIn() == 0 || mt.In(0) != ctxType {
				continue
			}
			name := svc.Type().Elem().Name() + "." + svc.Type().Method(m).Name
			args := []reflect.Value{reflect.Zero(ctxType)}
			for a := 1; a < mt.NumIn(); a++ {
				if mt.IsVariadic() && a == mt.NumIn()-1 {
					break
				}
				args = append(args, validArg(mt.In(a)))
			}
			var out []reflect.Value
			require.NotPanics(t, func() { out = method.Call(args) }, name)
			methods++
			last := out[len(out)-1]
			if last.Type() == errType {
				err, _ := last.Interface().(error)
				assert.ErrorIs(t, err, ErrInvalidParams, name)
				continue
			}
			// An iterator: its first value is the error.
			seq := last
			var got error
			yield := reflect.MakeFunc(seq.Type().In(0), func(in []reflect.Value) []reflect.Value {
				got, _ = in[1].Interface().(error)
				return []reflect.Value{reflect.ValueOf(false)}
			})
			require.NotPanics(t, func() { seq.Call([]reflect.Value{yield}) }, name)
			assert.ErrorIs(t, got, ErrInvalidParams, name)
		}
	}
	assert.Greater(t, methods, 60, "every method was called")
	assert.Zero(t, srv.total(), "nothing was sent")
}

// validArg is an argument that passes a method's own checks, so that the
// nil context is what it refuses: 1 for an id, a non-empty string, a new
// params struct.
func validArg(t reflect.Type) reflect.Value {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return reflect.ValueOf(1).Convert(t)
	case reflect.String:
		return reflect.ValueOf("x-value").Convert(t)
	case reflect.Pointer:
		return reflect.New(t.Elem())
	}
	return reflect.Zero(t)
}

// TestRequestsThatNeverLeftAreNotOfUnknownOutcome sends a POST that cannot
// leave the machine: a header net/http would refuse is ErrInvalidParams
// before any I/O, and a failed dial is a plain error.
func TestRequestsThatNeverLeftAreNotOfUnknownOutcome(t *testing.T) {
	srv := newCountingServer(t, false, map[string]http.HandlerFunc{"POST /v3/users": okUser})
	c := clientOn(t, srv, WithToken(testToken))
	user := &CreateUserParams{Email: "a@b.c", FirstName: "A", LastName: "B", OrgUnitID: 1, Role: RoleAdmin}
	for _, h := range [][2]string{{"X-Trace", "a\r\nInjected: yes"}, {"Bad Name", "v"}, {"X-Nul", "a\x00b"}, {"", "v"}} {
		_, err := c.Users.Create(context.Background(), user, WithHeader(h[0], h[1]))
		require.ErrorIs(t, err, ErrInvalidParams, "%q", h)
		assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	}
	assert.Zero(t, srv.total())
	_, err := NewClient(WithUserAgent("app\r\nX-Evil: 1"))
	require.Error(t, err)

	closed := newCountingServer(t, false, nil)
	addr := closed.URL
	closed.Close()
	dead, err := NewClient(WithBaseURL(addr+"/v3"), WithToken(testToken), WithRetryBackoff(0, 0))
	require.NoError(t, err)
	_, err = dead.Users.Create(context.Background(), user)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown, "a failed dial never reached the server")
	assert.True(t, strings.Contains(err.Error(), "connect") || strings.Contains(err.Error(), "refused"), err.Error())
}
