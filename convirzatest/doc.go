// Package convirzatest is an in-memory fake of the Convirza V3 Platform API
// and its OAuth service, for integration tests that should not reach the
// real service.
//
// The fake speaks the wire format described in the API reference on its own
// (it does not share types with the SDK), so a mistake in a client's JSON
// tags shows up as a failing test instead of being mirrored.
//
//	srv := convirzatest.NewServer(t) // closed by t.Cleanup
//	client, _ := convirza.NewClient(
//		convirza.WithBaseURL(srv.URL), convirza.WithAuthBaseURL(srv.AuthURL),
//		convirza.WithCredentials(srv.AdminEmail, srv.AdminPassword))
//
// # What it implements
//
// The OAuth service (POST /oauth/token, /oauth/refresh-token,
// /oauth/revoke-token) with unwrapped replies, rotating single-use refresh
// tokens and the documented limit of 10 logins per minute per IP; GET
// /v3/auth/profile; and every operation of the API reference: users, groups
// (org units), webhooks, media prompts (streamed multipart uploads), AI
// voice agents, phone numbers (search, reserve, release), provisioned
// routes, SMS broadcasts (with their lifecycle), calls, SMS conversations,
// tags, ad sources and industries. Every /v3 reply uses the documented
// envelope {code, message, data, request_id, timestamp}; errors use
// {code, message, errors?, request_id, timestamp}. Every reply carries a
// fresh UUID v4 request id, also in the X-Request-Id header. A path that no
// route claims, or a known path with another method, gets 404 with the
// message "no route for METHOD /path". Create User answers HTTP 201 (its envelope
// code stays 200, as in the docs' example); every other success is 200.
//
// Checks run in the documented order: 429 (login rate limit), 401 (token
// missing, malformed, unknown, revoked or expired, or its user no longer
// active), 403 (role), 400 (parameters and body, with errors[].field), 404
// (path id unknown or outside the caller's scope), 409 (state rules). A
// successful authenticated call renews the access token for another 7 days.
//
// # Seed data
//
// Org units (one tree per account):
//
//	1001 Acme Corporation      AccountOrgUnitID         account root, America/New_York
//	1002   Sales Division      SalesOrgUnitID           America/New_York
//	1004     East Coast Sales  EastCoastSalesOrgUnitID  America/New_York
//	1003   Support Division    SupportOrgUnitID         America/Chicago
//	2001 Globex Industries     OtherAccountOrgUnitID    a second account, America/Los_Angeles
//
// Users, all with the password SeedPassword:
//
//	10001 Dana Whitfield  AdminEmail              Admin     in 1001 (AdminUserID)
//	10002 Sam Ortega      StandardEmail           Standard  in 1002 (StandardUserID)
//	10003 Riley Chen      ReadOnlyEmail           ReadOnly  in 1003 (ReadOnlyUserID)
//	10004 Morgan Hale     OtherAccountAdminEmail  Admin     in 2001 (OtherAccountAdminUserID)
//
// Globex lies outside the scope of every Acme user: its records answer 404
// to Acme callers, and naming it as a list filter answers 403. Ids of new
// records come from one counter shared by every kind of record, starting at
// 10005.
//
// # Choices where the API reference leaves room
//
//   - Users created through the API log in with TemporaryPassword.
//   - Inactive and deleted users cannot log in, refresh, or use tokens they
//     already hold (401).
//   - A deleted user keeps its email: creating another user with it is 409.
//   - A deleted user can be read and deleted again, but not updated (409).
//   - A path id that is not a positive integer ("/v3/users/abc") is 400 with
//     errors[].field "id"; a positive id that does not exist is 404.
//   - In List Users, an org_unit_id filter outside the caller's scope, or
//     unknown, is 403; in a body, ct_user_ou_id unknown is 400 and outside
//     the caller's scope is 403.
//   - In PATCH, null clears a nullable field (user_ext_id, agent_ring_to,
//     agent_code, score_call, aliases) and is 400 on the others. In POST and
//     PUT, null on a field that is not nullable counts as absent.
//   - "aliases" accepts null, an array of strings or a single string.
//   - "timezone" is any non-empty string; it is not checked against the
//     IANA database, which may be missing where tests run.
//   - JSON bodies over 1 MiB get 413.
//
// # Calls, SMS conversations, tags and reference lists
//
// Calls and SMS threads are read-only and seeded on their first read, back
// from the fake's clock (see SeedCalls and SeedSMS), so the default 7-day
// window of Get Calls List is never empty; the same clock gives the same
// data. Get Calls List enforces its documented rules: limit required, a
// window of at most 31 days with end after start (400), org_unit_id outside
// the caller's hierarchy (403), single-record mode with call_id. With
// include=recordings each call gets a signed link under /recordings/ that
// needs no token and answers 410 (RecordingExpiredMessage) 7 days after the
// fetch. Tag names are 1..100 characters (400) and unique within an org
// unit, ignoring case (409); an org_unit_id in a tag body that is unknown
// or out of scope is 400. Ad sources and industries are fixed lists.
//
// # Phone numbers, routes and broadcasts
//
// The number inventory holds reserved and provisioned numbers of both
// accounts (InventoryNumberID, AcmeProvisionedNumberID on route AcmeRouteID,
// SalesReservedNumberID, SupportTollFreeNumberID, OtherAccountNumberID);
// Available Numbers also offers carrier numbers, whose number_id is null
// until they are reserved. Reserving a number twice is 409; only a reserved
// number can be released (409 while it has a route); a route needs a
// reserved number held by the caller's hierarchy (400) and a number serves
// one route (409); deleting a route returns its number to reserved.
// Broadcasts follow the fake's clock: at scheduled_at a broadcast becomes
// sending, and BroadcastSendTime later sent; only draft and scheduled ones
// can be edited, and a sending or sent one cannot be deleted (409).
// SentBroadcastID is seeded already sent.
//
// # Faults
//
// InjectFault makes the fake misbehave for the next requests that match a
// method and a path (exact, or a path.Match pattern such as "/v3/users/*"),
// so that a client's retries, timeouts and error handling can be tested:
//
//	srv.InjectFault(convirzatest.Fault{Method: "GET", Path: "/v3/users/list", Times: 2, Status: 503, RetryAfter: "1"})
//	srv.InjectFault(convirzatest.Fault{Method: "POST", Path: "/v3/users", Times: 1, Drop: convirzatest.DropAfterRead})
//
// A Fault can answer with a status (the request is not applied), add a
// Retry-After header, delay the reply (the request is applied first), drop
// the connection before the request is read (nothing happens) or after it
// is read and applied (the client cannot tell), cut the reply body short or
// replace it with HTML, and expire the request's access token. Times counts
// the requests it applies to; 0 means until ClearFaults. Faults lists what
// is pending. Every faulty request is in the request log, so RequestCount
// counts the attempts a client made.
//
// The same faults are available over HTTP, for the standalone server
// (cmd/convirza-mock) and for clients in other languages, at FaultsPath on
// the auth root (no token needed; not logged, never faulted):
//
//	GET    /_mock/faults   the pending faults, a JSON array
//	POST   /_mock/faults   add one: {"method":"POST","path":"/v3/users","times":1,"drop":"after_read"}
//	DELETE /_mock/faults   clear them all (204)
//
// In JSON, latency is a Go duration string ("250ms") or a number of
// milliseconds; unknown members are refused (400). Note that net/http's own
// transport resends a GET once by itself when a kept-alive connection is
// dropped, so a client may see fewer attempts than the server counts.
//
// The other control paths (GET /_mock lists them, each with a line of
// help) are the HTTP twins of Reset, Requests, AdvanceClock and SetClock,
// ExpireAccessTokens, Snapshot and Restore, SimulateCall, Deliveries and
// TestWebhook:
//
//	POST /_mock/reset               back to the reset point (SetResetPoint); 204
//	GET  /_mock/requests[/count]    the request log, ?method=&path= filters
//	POST /_mock/clock               {"advance":"36h"} or {"set":"2026-03-01T00:00:00Z"}
//	POST /_mock/tokens/expire       every access token expires; 204
//	GET, PUT /_mock/state           the snapshot, or replace the state with one
//	POST /_mock/calls               record a call: {"provisioned_route_id":9001}
//	GET, DELETE /_mock/deliveries   the webhook deliveries made, or clear them
//	POST /_mock/webhooks/{id}/test  send the sample event to a webhook now
//
// # Webhook deliveries
//
// A recorded call (SimulateCall, POST /_mock/calls) is delivered, before
// the call returns, to every active webhook of its org unit or of an
// ancestor: a pre-call event to the pre_call webhooks, then a post-call
// event to the post_call ones, each a JSON POST of the call record with
// trigger, webhook_id and the webhook's static parameters, sent once with
// a 10 s timeout and no redirects followed (the format is assumed:
// deliveries.go holds every assumption). Deliveries lists each with the
// status answered or the error. Only loopback URLs (localhost, 127.0.0.0/8,
// ::1) are contacted; a delivery to any other is recorded as refused unless
// the fake was started with WithExternalDeliveries.
//
// # Inspection and state
//
// Requests, RequestCount and ResetRequests expose the request log (tokens
// and passwords are never stored in it); ExpireAccessTokens and WithClock
// drive token expiry; Snapshot and Restore save and load the whole state as
// JSON; LoadSeed adds an application's own records from a seed file (the
// format of a snapshot, with every member optional and short records).
package convirzatest
