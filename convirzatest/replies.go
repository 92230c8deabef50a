package convirzatest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// isoMillis is the layout of every timestamp the API writes: UTC with
// milliseconds and a literal Z, as in the docs' examples. RFC 3339 with
// nanoseconds would also parse, but SDK users compare against the documented
// form, so the fake writes exactly that.
const isoMillis = "2006-01-02T15:04:05.000Z"

// iso formats t the way the API writes timestamps.
func iso(t time.Time) string { return t.UTC().Format(isoMillis) }

// successBody is the documented success wrapper around every /v3 response.
type successBody struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	Data      any    `json:"data"`
	RequestID string `json:"request_id"`
	Timestamp string `json:"timestamp"`
}

// errorBody is the assumed error wrapper (api/README.md): the success
// envelope without data, plus errors on validation failures.
type errorBody struct {
	Code      int          `json:"code"`
	Message   string       `json:"message"`
	Errors    []fieldError `json:"errors,omitempty"`
	RequestID string       `json:"request_id"`
	Timestamp string       `json:"timestamp"`
}

// fieldError names one invalid input; clients show it next to the field.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// apiError is what a handler returns instead of data. It carries the HTTP
// status so that the order of checks stays in the handler's control.
type apiError struct {
	status     int
	message    string
	errors     []fieldError
	retryAfter time.Duration // sent as Retry-After (whole seconds) when > 0
}

// errorf builds an apiError with a formatted message.
func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, message: fmt.Sprintf(format, args...)}
}

// invalid is the 400 for field-level validation failures; the message is fixed
// so that clients key on errors[].field rather than on prose.
func invalid(errs ...fieldError) *apiError {
	return &apiError{status: http.StatusBadRequest, message: "Validation failed", errors: errs}
}

// newUUID returns a random RFC 4122 version 4 UUID. crypto/rand does not fail
// on supported platforms (it aborts the program instead), so there is no error.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	// Encoded by hand rather than with fmt: every reply needs one.
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:36], b[10:16])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

// response is a reply ready to write. Handlers' data may point into state,
// so responses are encoded while the state lock is held and written after it
// is released.
type response struct {
	status int
	header http.Header
	body   []byte
}

// write sends the response.
func (r *response) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// jsonResponse encodes v with the given status and the request id header.
// Every value encoded here is built from plain structs and maps, so Marshal
// cannot fail; if it ever did, the client still gets a well-formed 500.
func jsonResponse(status int, requestID string, v any) *response {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":500,"message":"internal error: response could not be encoded"}`)
	}
	return &response{status: status, header: jsonHeader(requestID), body: append(b, '\n')}
}

// jsonHeader is the header of a JSON reply.
func jsonHeader(requestID string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Request-Id", requestID)
	return h
}

// dataResponse is a success envelope around data, sent with the HTTP
// status given. The envelope's code stays 200 even on a 201, as in the
// docs' Create User example.
func dataResponse(info *reqInfo, status int, data any) *response {
	return jsonResponse(status, info.id, successBody{
		Code:      http.StatusOK,
		Message:   "Success",
		Data:      data,
		RequestID: info.id,
		Timestamp: iso(info.now),
	})
}

// errorResponse is the error envelope for e, plus Retry-After and, on 401,
// WWW-Authenticate, which HTTP clients expect alongside those statuses.
func errorResponse(info *reqInfo, e *apiError) *response {
	r := jsonResponse(e.status, info.id, errorBody{
		Code:      e.status,
		Message:   e.message,
		Errors:    e.errors,
		RequestID: info.id,
		Timestamp: iso(info.now),
	})
	if e.retryAfter > 0 {
		secs := int64((e.retryAfter + time.Second - 1) / time.Second)
		r.header.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if e.status == http.StatusUnauthorized {
		r.header.Set("WWW-Authenticate", `Bearer realm="convirza"`)
	}
	return r
}
