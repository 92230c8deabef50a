package convirzaotel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// harness is a client of a fake server whose middleware reports to an
// in-memory span exporter and a manual metric reader.
type harness struct {
	srv    *convirzatest.Server
	client *convirza.Client
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
	port   int
}

func newHarness(t *testing.T, mwOpts []Option, opts ...convirza.Option) *harness {
	t.Helper()
	h := &harness{srv: convirzatest.NewServer(t), spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(h.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	t.Cleanup(func() {
		_ = h.tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	u, err := url.Parse(h.srv.URL)
	require.NoError(t, err)
	h.port, err = strconv.Atoi(u.Port())
	require.NoError(t, err)

	mwOpts = append([]Option{WithTracerProvider(h.tp), WithMeterProvider(mp)}, mwOpts...)
	// The options given come first: a middleware among them runs outside
	// the one under test.
	opts = append(opts,
		convirza.WithBaseURL(h.srv.URL),
		convirza.WithAuthBaseURL(h.srv.AuthURL),
		convirza.WithCredentials(h.srv.AdminEmail, h.srv.AdminPassword),
		convirza.WithRetryBackoff(time.Millisecond, 5*time.Millisecond),
		convirza.WithMiddleware(Middleware(mwOpts...)),
	)
	h.client, err = convirza.NewClient(opts...)
	require.NoError(t, err)
	return h
}

// attrs is the attributes of a span as a map.
func attrs(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// metrics collects the reader's metrics by name.
func (h *harness) metrics(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, ScopeName, sm.Scope.Name)
		assert.Equal(t, semconv.SchemaURL, sm.Scope.SchemaURL)
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// TestRetriedCallGivesASpanPerAttempt makes a Users.Get whose first attempt
// logs in and is answered 503, and whose second succeeds: a span per
// attempt and one for the login inside the first, with their attributes
// and statuses; two duration points for the call and one retry.
func TestRetriedCallGivesASpanPerAttempt(t *testing.T) {
	h := newHarness(t, nil)
	path := fmt.Sprintf("/v3/users/%d", convirzatest.AdminUserID)
	require.NoError(t, h.srv.InjectFault(convirzatest.Fault{Method: "GET", Path: path, Times: 1, Status: 503}))

	var info convirza.ResponseInfo
	_, err := h.client.Users.Get(context.Background(), convirzatest.AdminUserID, convirza.WithResponseInfo(&info))
	require.NoError(t, err)
	require.Equal(t, 2, info.Attempts)

	spans := h.spans.GetSpans()
	require.Len(t, spans, 3, "the login, then the two attempts, in the order they ended")
	login, first, second := spans[0], spans[1], spans[2]

	assert.Equal(t, "convirza Auth.Login", login.Name)
	assert.Equal(t, trace.SpanKindClient, login.SpanKind)
	la := attrs(login.Attributes)
	assert.Equal(t, "POST", la[semconv.HTTPRequestMethodKey].AsString())
	assert.Equal(t, "/oauth/token", la[semconv.URLTemplateKey].AsString())
	assert.Equal(t, int64(200), la[semconv.HTTPResponseStatusCodeKey].AsInt64())
	assert.Equal(t, "Auth.Login", la[OperationKey].AsString())
	assert.Equal(t, codes.Unset, login.Status.Code)
	assert.Equal(t, first.SpanContext.SpanID(), login.Parent.SpanID(), "the login runs inside the first attempt")

	for i, s := range []tracetest.SpanStub{first, second} {
		attempt := i + 1
		assert.Equal(t, "convirza Users.Get", s.Name)
		assert.Equal(t, trace.SpanKindClient, s.SpanKind)
		assert.Equal(t, ScopeName, s.InstrumentationScope.Name)
		a := attrs(s.Attributes)
		assert.Equal(t, "GET", a[semconv.HTTPRequestMethodKey].AsString())
		assert.Equal(t, "127.0.0.1", a[semconv.ServerAddressKey].AsString())
		assert.Equal(t, int64(h.port), a[semconv.ServerPortKey].AsInt64())
		assert.Equal(t, "/users/{id}", a[semconv.URLTemplateKey].AsString())
		assert.Equal(t, "Users.Get", a[OperationKey].AsString())
		assert.Equal(t, int64(attempt), a[AttemptKey].AsInt64())
		assert.NotEmpty(t, a[RequestIDKey].AsString(), "attempt %d", attempt)
		assert.False(t, s.Parent.IsValid(), "a root span: the call's context had none")
	}
	assert.NotEqual(t, first.SpanContext.TraceID(), second.SpanContext.TraceID(), "two roots, two traces")

	a1, a2 := attrs(first.Attributes), attrs(second.Attributes)
	assert.Equal(t, int64(503), a1[semconv.HTTPResponseStatusCodeKey].AsInt64())
	assert.Equal(t, "503", a1[semconv.ErrorTypeKey].AsString())
	assert.Equal(t, codes.Error, first.Status.Code)
	_, resent := a1[semconv.HTTPRequestResendCountKey]
	assert.False(t, resent, "the first attempt is no resend")

	assert.Equal(t, int64(200), a2[semconv.HTTPResponseStatusCodeKey].AsInt64())
	_, hasErr := a2[semconv.ErrorTypeKey]
	assert.False(t, hasErr)
	assert.Equal(t, codes.Unset, second.Status.Code)
	assert.Equal(t, int64(1), a2[semconv.HTTPRequestResendCountKey].AsInt64())
	assert.Equal(t, info.RequestID, a2[RequestIDKey].AsString(), "the X-Request-Id of the last answer")
	assert.NotEqual(t, a1[RequestIDKey].AsString(), a2[RequestIDKey].AsString())

	m := h.metrics(t)
	dur := m["http.client.request.duration"]
	assert.Equal(t, "s", dur.Unit)
	hist, ok := dur.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%T", dur.Data)
	var getPoints []metricdata.HistogramDataPoint[float64]
	for _, p := range hist.DataPoints {
		if v, _ := p.Attributes.Value(OperationKey); v.AsString() == "Users.Get" {
			getPoints = append(getPoints, p)
		}
		_, hasID := p.Attributes.Value(RequestIDKey)
		assert.False(t, hasID, "a request id per point would be one series per request")
	}
	assert.Len(t, hist.DataPoints, 3, "the login and the two attempts")
	require.Len(t, getPoints, 2)
	statuses := map[int64]bool{}
	for _, p := range getPoints {
		assert.Equal(t, uint64(1), p.Count)
		assert.Greater(t, p.Sum, 0.0)
		assert.Less(t, p.Sum, 10.0, "seconds, not milliseconds")
		st, _ := p.Attributes.Value(semconv.HTTPResponseStatusCodeKey)
		statuses[st.AsInt64()] = true
		tmpl, _ := p.Attributes.Value(semconv.URLTemplateKey)
		assert.Equal(t, "/users/{id}", tmpl.AsString())
		method, _ := p.Attributes.Value(semconv.HTTPRequestMethodKey)
		assert.Equal(t, "GET", method.AsString())
		addr, _ := p.Attributes.Value(semconv.ServerAddressKey)
		assert.Equal(t, "127.0.0.1", addr.AsString())
		port, _ := p.Attributes.Value(semconv.ServerPortKey)
		assert.Equal(t, int64(h.port), port.AsInt64())
	}
	assert.Equal(t, map[int64]bool{503: true, 200: true}, statuses)

	retries := m[RetriesMetric]
	sum, ok := retries.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%T", retries.Data)
	assert.True(t, sum.IsMonotonic)
	require.Len(t, sum.DataPoints, 1)
	assert.Equal(t, int64(1), sum.DataPoints[0].Value)
	assert.Equal(t, attribute.NewSet(OperationKey.String("Users.Get")), sum.DataPoints[0].Attributes)
}

// headerRecorder is a transport that notes the traceparent of every request
// that reaches the server.
type headerRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.URL.Path+" "+req.Header.Get("traceparent"))
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// TestTraceContextIsPropagated checks that the requests reaching the server
// carry the traceparent of their attempt's span, that the spans are
// children of the span in the call's context, and that the request the
// middleware was given is left as it was.
func TestTraceContextIsPropagated(t *testing.T) {
	rec := &headerRecorder{}
	var leaked []string
	outer := func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		resp, err := next(req)
		if v := req.Header.Get("traceparent"); v != "" {
			leaked = append(leaked, v)
		}
		return resp, err
	}
	h := newHarness(t, []Option{WithPropagators(propagation.TraceContext{})},
		convirza.WithHTTPClient(&http.Client{Transport: rec}), convirza.WithMiddleware(outer))

	ctx, parent := h.tp.Tracer("test").Start(context.Background(), "parent")
	_, err := h.client.Users.Get(ctx, convirzatest.AdminUserID)
	parent.End()
	require.NoError(t, err)

	spans := h.spans.GetSpans()
	require.Len(t, spans, 3) // the login, the attempt, the parent
	login, get := spans[0], spans[1]
	assert.Equal(t, "convirza Auth.Login", login.Name)
	assert.Equal(t, "convirza Users.Get", get.Name)
	traceID := parent.SpanContext().TraceID()
	assert.Equal(t, traceID, get.SpanContext.TraceID())
	assert.Equal(t, parent.SpanContext().SpanID(), get.Parent.SpanID())
	assert.Equal(t, traceID, login.SpanContext.TraceID())

	want := []string{
		fmt.Sprintf("/oauth/token 00-%s-%s-01", traceID, login.SpanContext.SpanID()),
		fmt.Sprintf("/v3/users/%d 00-%s-%s-01", convirzatest.AdminUserID, traceID, get.SpanContext.SpanID()),
	}
	assert.Equal(t, want, rec.seen)
	assert.Empty(t, leaked, "the caller's request was not changed")
}

// TestUsersGetTemplate checks the url.template of a call whose path holds
// an id, and that a fixed token makes no login span.
func TestUsersGetTemplate(t *testing.T) {
	srv := convirzatest.NewServer(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	c, err := convirza.NewClient(convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword), convirza.WithMiddleware(Middleware(WithTracerProvider(tp))))
	require.NoError(t, err)
	_, err = c.Users.Get(context.Background(), convirzatest.StandardUserID)
	require.NoError(t, err)
	spans := exp.GetSpans()
	require.Len(t, spans, 2)
	assert.Equal(t, "convirza Users.Get", spans[1].Name)
	assert.Equal(t, "/users/{id}", attrs(spans[1].Attributes)[semconv.URLTemplateKey].AsString())
	assert.NotContains(t, spans[1].Name+fmt.Sprint(spans[1].Attributes), strconv.FormatInt(convirzatest.StandardUserID, 10),
		"no id in the span's name or attributes")
}

// TestClientErrorsAreSpanErrors checks a 404 (an error status on a client
// span, with error.type the status) and an attempt that timed out.
func TestClientErrorsAreSpanErrors(t *testing.T) {
	h := newHarness(t, nil, convirza.WithMaxRetries(0), convirza.WithAttemptTimeout(100*time.Millisecond))
	_, err := h.client.Users.Get(context.Background(), 999999)
	require.ErrorIs(t, err, convirza.ErrNotFound)
	spans := h.spans.GetSpans()
	require.Len(t, spans, 2)
	a := attrs(spans[1].Attributes)
	assert.Equal(t, int64(404), a[semconv.HTTPResponseStatusCodeKey].AsInt64())
	assert.Equal(t, "404", a[semconv.ErrorTypeKey].AsString())
	assert.Equal(t, codes.Error, spans[1].Status.Code)
	assert.Empty(t, spans[1].Status.Description, "the status code says it")

	h.spans.Reset()
	require.NoError(t, h.srv.InjectFault(convirzatest.Fault{Method: "GET", Path: "/v3/users/*", Times: 1, Latency: 2 * time.Second}))
	_, err = h.client.Users.Get(context.Background(), convirzatest.AdminUserID)
	require.ErrorIs(t, err, convirza.ErrAttemptTimeout)
	spans = h.spans.GetSpans()
	require.Len(t, spans, 1)
	a = attrs(spans[0].Attributes)
	assert.Equal(t, "timeout", a[semconv.ErrorTypeKey].AsString())
	_, hasStatus := a[semconv.HTTPResponseStatusCodeKey]
	assert.False(t, hasStatus, "no answer came")
	assert.Equal(t, codes.Error, spans[0].Status.Code)
	assert.NotEmpty(t, spans[0].Status.Description)
	require.Len(t, spans[0].Events, 1)
	assert.Equal(t, "exception", spans[0].Events[0].Name)

	dur := h.metrics(t)["http.client.request.duration"].Data.(metricdata.Histogram[float64])
	var types []string
	for _, p := range dur.DataPoints {
		if v, ok := p.Attributes.Value(semconv.ErrorTypeKey); ok {
			types = append(types, v.AsString())
		}
	}
	assert.ElementsMatch(t, []string{"404", "timeout"}, types, "error.type is on the metric too")
}

// TestConnectionDropped checks the error.type of an attempt whose
// connection was closed without an answer (the transport's io.EOF), and that a failed login inside
// an attempt is named by its error and not by the SDK's wrapper.
func TestConnectionDropped(t *testing.T) {
	h := newHarness(t, nil, convirza.WithMaxRetries(0))
	require.NoError(t, h.srv.InjectFault(convirzatest.Fault{Method: "GET", Path: "/v3/users/*", Drop: convirzatest.DropBeforeRead}))
	_, err := h.client.Users.Get(context.Background(), convirzatest.AdminUserID)
	require.Error(t, err)
	spans := h.spans.GetSpans()
	require.Len(t, spans, 2)
	assert.Equal(t, "connection_closed", attrs(spans[1].Attributes)[semconv.ErrorTypeKey].AsString())
	assert.Equal(t, codes.Error, spans[1].Status.Code)
	h.srv.ClearFaults()

	bad, err := convirza.NewClient(convirza.WithBaseURL(h.srv.URL), convirza.WithAuthBaseURL(h.srv.AuthURL),
		convirza.WithCredentials(h.srv.AdminEmail, "wrong"), convirza.WithMaxRetries(0),
		convirza.WithMiddleware(Middleware(WithTracerProvider(h.tp))))
	require.NoError(t, err)
	h.spans.Reset()
	_, err = bad.Users.Get(context.Background(), convirzatest.AdminUserID)
	require.Error(t, err)
	spans = h.spans.GetSpans()
	require.Len(t, spans, 2)
	assert.Equal(t, "convirza Auth.Login", spans[0].Name)
	assert.Equal(t, "401", attrs(spans[0].Attributes)[semconv.ErrorTypeKey].AsString())
	assert.Equal(t, "convirza Users.Get", spans[1].Name)
	assert.Equal(t, "*convirza.APIError", attrs(spans[1].Attributes)[semconv.ErrorTypeKey].AsString(),
		"the attempt was not sent: its login failed")
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var _ net.Error = timeoutError{}

func TestErrorType(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{context.DeadlineExceeded, "timeout"},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), "timeout"},
		{&net.OpError{Op: "read", Err: timeoutError{}}, "timeout"},
		{fmt.Errorf("x: %w", context.Canceled), "canceled"},
		{fmt.Errorf("%w: reading the answer: %w", convirza.ErrInvalidResponse, errors.New("unexpected EOF")), "invalid_response"},
		{&url.Error{Op: "Get", URL: "http://x", Err: errors.New("boom")}, "*url.Error"},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, "*net.OpError"},
		{fmt.Errorf("wrapped: %w", &net.OpError{Op: "dial", Err: errors.New("refused")}), "*net.OpError"},
		{&convirza.APIError{StatusCode: 500}, "*convirza.APIError"},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "connection_closed"},
		{errors.New("something"), "_OTHER"},
		{fmt.Errorf("%w and %w", errors.New("a"), errors.New("b")), "_OTHER"},
	} {
		assert.Equal(t, tc.want, errorType(tc.err), "%v", tc.err)
	}
}

func TestServerPortAndMethod(t *testing.T) {
	for raw, want := range map[string]int{
		"https://platform-api.convirza.com/v3":     0,
		"https://platform-api.convirza.com:443/v3": 0,
		"http://127.0.0.1:80/v3":                   0,
		"http://127.0.0.1:8443/v3":                 8443,
		"https://example.com:80/v3":                80,
	} {
		req := httptest.NewRequest("GET", raw, nil)
		assert.Equal(t, want, serverPort(req), raw)
	}
	assert.Equal(t, []attribute.KeyValue{semconv.HTTPRequestMethodKey.String("PATCH")}, method("PATCH"))
	assert.Equal(t, []attribute.KeyValue{semconv.HTTPRequestMethodGet}, method(""))
	assert.Equal(t, []attribute.KeyValue{semconv.HTTPRequestMethodOther, semconv.HTTPRequestMethodOriginal("PURGE")}, method("PURGE"))
}

// TestOutsideAClientCall runs the middleware by itself: the span is named
// by the method and has no template, and a request without a port has no
// server.port.
func TestOutsideAClientCall(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	mw := Middleware(WithTracerProvider(tp), nil, WithMeterProvider(nil), WithPropagators(nil))
	req := httptest.NewRequest("DELETE", "https://platform-api.convirza.com/v3/users/5", nil)
	resp, err := mw(req, func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 204, Header: http.Header{"X-Request-Id": {"abc"}}, Request: r}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, 204, resp.StatusCode)
	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	assert.Equal(t, "convirza DELETE", spans[0].Name)
	a := attrs(spans[0].Attributes)
	assert.Equal(t, "platform-api.convirza.com", a[semconv.ServerAddressKey].AsString())
	assert.Equal(t, "abc", a[RequestIDKey].AsString())
	for _, k := range []attribute.Key{semconv.ServerPortKey, semconv.URLTemplateKey, OperationKey} {
		_, ok := a[k]
		assert.False(t, ok, k)
	}
}

// TestDefaultsAreTheGlobals sets the global providers and propagator, so it
// does not run in parallel.
func TestDefaultsAreTheGlobals(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	oldTP, oldMP, oldProp := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(oldTP)
		otel.SetMeterProvider(oldMP)
		otel.SetTextMapPropagator(oldProp)
	})

	var got string
	mw := Middleware()
	_, err := mw(httptest.NewRequest("GET", "http://127.0.0.1:1/v3/x", nil), func(r *http.Request) (*http.Response, error) {
		got = r.Header.Get("traceparent")
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r}, nil
	})
	require.NoError(t, err)
	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	assert.True(t, strings.HasPrefix(got, "00-"+spans[0].SpanContext.TraceID().String()), got)
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	require.Len(t, rm.ScopeMetrics, 1)
	assert.Equal(t, "http.client.request.duration", rm.ScopeMetrics[0].Metrics[0].Name)
}
