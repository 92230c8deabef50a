// Package convirzaotel traces and measures the calls of a convirza.Client
// with OpenTelemetry.
//
// Middleware returns a convirza.Middleware to give to convirza.WithMiddleware:
//
//	client, err := convirza.NewClient(
//		convirza.WithCredentials(email, password),
//		convirza.WithMiddleware(convirzaotel.Middleware()),
//	)
//
// It runs around every attempt the client makes (retries, logins and token
// refreshes included) and, for each one:
//
//   - starts a client span named "convirza <Operation>" ("convirza Users.Get",
//     "convirza Auth.Login"), a child of the span in the call's context, with
//     the HTTP semantic-convention attributes http.request.method,
//     server.address, server.port (when not the scheme's default),
//     url.template ("/users/{id}", relative to the API base),
//     http.response.status_code, http.request.resend_count (on retries) and
//     error.type, plus convirza.operation, convirza.attempt and
//     convirza.request_id (the X-Request-Id of the answer). Its status is
//     Error when the attempt failed or was answered with a status of 400 or
//     more;
//   - injects the span's context into a copy of the request's headers
//     (traceparent and tracestate with the W3C propagator), so that the
//     request the server gets carries it;
//   - records the attempt's duration in seconds, body read included, in the
//     histogram http.client.request.duration, with the span's attributes but
//     convirza.request_id (one value per request);
//   - adds one to the counter convirza.client.retries, with the attribute
//     convirza.operation, for every attempt after a call's first.
//
// The tracer provider, meter provider and propagator are the global ones
// unless WithTracerProvider, WithMeterProvider or WithPropagators says
// otherwise. The request the middleware is given carries no bearer token
// (the SDK sets it after the middleware), so neither do the spans.
//
// This package is its own Go module, so that the SDK itself does not depend
// on OpenTelemetry:
//
//	go get github.com/convirza-community/convirza-go/otel
package convirzaotel
