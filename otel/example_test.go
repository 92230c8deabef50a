package convirzaotel_test

import (
	"context"
	"fmt"
	"log"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
	convirzaotel "github.com/convirza-community/convirza-go/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// The middleware traces a call against the fake server: its login and
// its attempt. A service would give its OTLP exporter to the tracer
// provider, and a periodic reader to the meter provider, or set the global
// providers and call Middleware() with no options.
func ExampleMiddleware() {
	srv := convirzatest.Start()
	defer srv.Close()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = mp.Shutdown(context.Background()) }()

	client, err := convirza.NewClient(
		convirza.WithBaseURL(srv.URL),
		convirza.WithAuthBaseURL(srv.AuthURL),
		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword),
		convirza.WithMiddleware(convirzaotel.Middleware(
			convirzaotel.WithTracerProvider(tp),
			convirzaotel.WithMeterProvider(mp),
		)),
	)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.Users.Get(context.Background(), convirzatest.StandardUserID); err != nil {
		log.Fatal(err)
	}

	for _, s := range spans.GetSpans() {
		set := attribute.NewSet(s.Attributes...)
		method, _ := set.Value(semconv.HTTPRequestMethodKey)
		tmpl, _ := set.Value(semconv.URLTemplateKey)
		status, _ := set.Value(semconv.HTTPResponseStatusCodeKey)
		attempt, _ := set.Value(convirzaotel.AttemptKey)
		fmt.Printf("%s: %s %s, attempt %d, %d\n", s.Name, method.AsString(), tmpl.AsString(), attempt.AsInt64(), status.AsInt64())
	}
	// Output:
	// convirza Auth.Login: POST /oauth/token, attempt 1, 200
	// convirza Users.Get: GET /users/{id}, attempt 1, 200
}
