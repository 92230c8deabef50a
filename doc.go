// Package convirza is a client for the Convirza V3 Platform API: call
// tracking, AI voice agents, phone numbers, SMS broadcasts, users and org
// units.
//
// A Client has one service per resource group of the API (Users, Groups,
// Webhooks, Prompts, AIVoiceAgents, PhoneNumbers, Routes, Broadcasts, Calls,
// SMS, Tags, AdSources, Industries, Auth). Every call takes a context, goes
// through one pipeline that adds the bearer token, retries what is safe to
// retry and decodes the API's envelope, and returns a typed result or an
// error that errors.Is can match:
//
//	client, err := convirza.NewClient(convirza.WithCredentials(email, password))
//	if err != nil { ... }
//	created, err := client.Users.Create(ctx, &convirza.CreateUserParams{
//		Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace",
//		OrgUnitID: 1001, Role: convirza.RoleStandard,
//	})
//	if errors.Is(err, convirza.ErrDuplicateEmail) { ... }
//	for user, err := range client.Users.All(ctx, nil) { ... }
//
// # Authentication
//
// WithCredentials logs in with an email and a password, refreshes the
// access token ahead of its expiry and once after a 401, runs one refresh
// at a time however many goroutines need a token, and hands every new token
// pair to a TokenStore before using it (refresh tokens are single-use).
// WithToken and WithTokenSource take a token from elsewhere.
//
// # Errors
//
// An answer that is not a success is an *APIError with the status, the
// message, the field errors and the request id to quote to support. It
// matches the sentinel of its status: ErrBadRequest, ErrUnauthorized,
// ErrForbidden, ErrNotFound, ErrConflict (and ErrDuplicateEmail for a user's
// email in use), ErrGone, ErrRateLimited or ErrServer. Bad arguments are
// refused before any I/O with an error wrapping ErrInvalidParams.
//
// # Retries
//
// GET, PUT and DELETE are retried (2 times by default) after a connection
// failure or a 429, 500, 502, 503 or 504, with exponential backoff and full
// jitter, honouring Retry-After. POST and PATCH are retried only when the
// request never left the machine, since the API has no idempotency keys; if
// their connection fails after sending, the error wraps ErrOutcomeUnknown.
//
// # Paging and PATCH
//
// List returns one Page; All returns an iterator over every item, fetching
// pages as the loop goes. PATCH params use Optional fields, which tell apart
// "leave unchanged" (the zero value), "clear" (Null) and "set" (Set).
//
// # Testing
//
// Package convirzatest is an in-memory fake of the whole API for tests.
package convirza
