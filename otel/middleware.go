package convirzaotel

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and the meter the
// middleware uses.
const ScopeName = "github.com/convirza-community/convirza-go/otel"

// The attributes this package adds to those of the semantic conventions.
const (
	// OperationKey is the SDK method the attempt belongs to, such as
	// "Users.Get", "Do" or "Auth.Login" (convirza.CallInfo.Operation).
	OperationKey = attribute.Key("convirza.operation")
	// AttemptKey is the attempt's number within its call, from 1.
	AttemptKey = attribute.Key("convirza.attempt")
	// RequestIDKey is the X-Request-Id header of the answer, the id to
	// quote to Convirza support. It is on spans only.
	RequestIDKey = attribute.Key("convirza.request_id")
)

// RetriesMetric is the name of the counter of the attempts made after a
// call's first.
const RetriesMetric = "convirza.client.retries"

// Option configures Middleware.
type Option func(*config)

type config struct {
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	propagator     propagation.TextMapPropagator
}

// WithTracerProvider sets the provider of the tracer that makes the spans
// (default: otel.GetTracerProvider()). A nil provider keeps the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) {
		if tp != nil {
			c.tracerProvider = tp
		}
	}
}

// WithMeterProvider sets the provider of the meter that records the
// metrics (default: otel.GetMeterProvider()). A nil provider keeps the
// default.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) {
		if mp != nil {
			c.meterProvider = mp
		}
	}
}

// WithPropagators sets the propagator that writes the span's context into
// the request's headers (default: otel.GetTextMapPropagator(), which
// propagates nothing until the application sets one). A nil propagator
// keeps the default.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return func(c *config) {
		if p != nil {
			c.propagator = p
		}
	}
}

// Middleware returns a convirza.Middleware that makes a span for every
// attempt, propagates its context on the request, and records the
// attempt's duration and the retries; the package documentation lists the
// spans' names and attributes and the metrics.
//
// An instrument that the meter refuses to create is reported to
// otel.Handle and does nothing.
func Middleware(opts ...Option) convirza.Middleware {
	c := config{
		tracerProvider: otel.GetTracerProvider(),
		meterProvider:  otel.GetMeterProvider(),
		propagator:     otel.GetTextMapPropagator(),
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	m := &middleware{
		tracer:     c.tracerProvider.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL)),
		propagator: c.propagator,
	}
	meter := c.meterProvider.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
	var err error
	if m.duration, err = httpconv.NewClientRequestDuration(meter); err != nil {
		otel.Handle(err)
	}
	if m.retries, err = meter.Int64Counter(RetriesMetric, metric.WithUnit("{retry}"),
		metric.WithDescription("Attempts made after the first of a call to the Convirza API.")); err != nil {
		otel.Handle(err)
	}
	return m.handle
}

type middleware struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	duration   httpconv.ClientRequestDuration
	retries    metric.Int64Counter // never nil: a failed creation gives a no-op
}

func (m *middleware) handle(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	ctx := req.Context()
	info, ok := convirza.CallInfoFrom(ctx)
	if !ok { // outside a client's call: only what the request says
		info = convirza.CallInfo{Method: req.Method, Attempt: 1}
	}
	op := info.Operation
	if op == "" {
		op = req.Method
	}

	// Room for the request's attributes (method and its original, address,
	// port, template, operation, attempt, resend count) and the answer's.
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs, method(req.Method)...)
	attrs = append(attrs, semconv.ServerAddress(req.URL.Hostname()))
	if port := serverPort(req); port > 0 {
		attrs = append(attrs, semconv.ServerPort(port))
	}
	if info.PathTemplate != "" {
		attrs = append(attrs, semconv.URLTemplate(info.PathTemplate))
	}
	if info.Operation != "" {
		attrs = append(attrs, OperationKey.String(info.Operation))
	}
	attrs = append(attrs, AttemptKey.Int(info.Attempt))
	if info.Attempt > 1 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(info.Attempt-1))
		m.retries.Add(ctx, 1, metric.WithAttributes(OperationKey.String(info.Operation)))
	}

	ctx, span := m.tracer.Start(ctx, "convirza "+op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	defer span.End()
	out := req.Clone(ctx) // the caller's request and its header stay as they were
	m.propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))

	start := time.Now()
	resp, err := next(out)
	elapsed := time.Since(start)

	var answer []attribute.KeyValue
	switch {
	case err != nil:
		answer = append(answer, semconv.ErrorTypeKey.String(errorType(err)))
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	case resp != nil:
		answer = append(answer, semconv.HTTPResponseStatusCode(resp.StatusCode))
		if resp.StatusCode >= 400 {
			// Client spans are errors from 400 on; the status code says
			// which, so the description stays empty.
			answer = append(answer, semconv.ErrorTypeKey.String(strconv.Itoa(resp.StatusCode)))
			span.SetStatus(codes.Error, "")
		}
	}
	attrs = append(attrs, answer...)
	m.duration.RecordSet(ctx, elapsed.Seconds(), attribute.NewSet(attrs...))
	if resp != nil {
		if id := resp.Header.Get("X-Request-Id"); id != "" {
			answer = append(answer, RequestIDKey.String(id))
		}
	}
	span.SetAttributes(answer...)
	return resp, err
}

// method is the http.request.method of m: one of the methods the semantic
// conventions know, or _OTHER and http.request.method_original.
func method(m string) []attribute.KeyValue {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodHead, http.MethodOptions, http.MethodConnect, http.MethodTrace, "QUERY":
		return []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(m)}
	case "": // net/http reads it as GET
		return []attribute.KeyValue{semconv.HTTPRequestMethodGet}
	}
	return []attribute.KeyValue{semconv.HTTPRequestMethodOther, semconv.HTTPRequestMethodOriginal(m)}
}

// serverPort is the port of the request's URL, or 0 when it is absent or
// the default of the scheme.
func serverPort(req *http.Request) int {
	p := req.URL.Port()
	if p == "" {
		return 0
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return 0
	}
	switch {
	case n == 443 && req.URL.Scheme == "https", n == 80 && req.URL.Scheme == "http":
		return 0
	}
	return n
}

// sdkPath is the import path of the SDK, whose unexported error types are
// wrappers to look through.
var sdkPath = reflect.TypeFor[convirza.APIError]().PkgPath()

// errorType is the error.type of an attempt that failed without an answer:
// "timeout" or "canceled" when a deadline or a cancellation ended it,
// "connection_closed" when the connection closed before the answer came,
// "invalid_response" when the answer could not be read whole, else the
// type of the error (semconv.ErrorType) once the SDK's own unexported
// wrappers are looked through, such as "*net.OpError"; "_OTHER" when that
// type says nothing (an errors.New, a fmt.Errorf of several errors).
func errorType(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, convirza.ErrInvalidResponse):
		return "invalid_response"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection_closed"
	}
	for {
		t := reflect.TypeOf(err)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		inner := errors.Unwrap(err)
		if t.PkgPath() != sdkPath || t.Name() == "" || t.Name()[0] < 'a' || t.Name()[0] > 'z' || inner == nil {
			break
		}
		err = inner
	}
	switch s := semconv.ErrorType(err).Value.AsString(); s {
	case "*errors.errorString", "*fmt.wrapErrors":
		return semconv.ErrorTypeOther.Value.AsString()
	default:
		return s
	}
}
