package convirza

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
)

// redactedText replaces a secret in server text that the SDK returns.
const redactedText = "[redacted]"

// redactor replaces the secrets of a call (the client's password and
// tokens, and what the request carried) in text a server sent back: a
// server, a proxy or an attacker's host that echoes what it received must
// not make a secret appear in an error, APIError.Message or Body, or a log
// line.
type redactor struct{ forms []string }

// redactor returns the redactor of the call st.
func (c *Client) redactor(st *callState) redactor {
	secrets := append([]string{st.token}, st.secrets...)
	if c.tokens != nil {
		secrets = append(secrets, c.tokens.secrets()...)
	}
	var r redactor
	for _, s := range secrets {
		if s == "" {
			continue
		}
		// The secret as sent, as it reads inside a JSON string (a body
		// echoed inside a message is escaped twice) and in a query or form.
		once := jsonEscape(s)
		r.forms = append(r.forms, s, once, jsonEscape(once), url.QueryEscape(s))
	}
	return r
}

func (r redactor) string(s string) string {
	for _, f := range r.forms {
		if f != "" && strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, redactedText)
		}
	}
	return s
}

func (r redactor) bytes(b []byte) []byte {
	for _, f := range r.forms {
		if f != "" && bytes.Contains(b, []byte(f)) {
			b = bytes.ReplaceAll(b, []byte(f), []byte(redactedText))
		}
	}
	return b
}

// apiError redacts the server text of e.
func (r redactor) apiError(e *APIError) {
	e.Message = r.string(e.Message)
	e.Body = r.bytes(e.Body)
	for i := range e.Errors {
		e.Errors[i].Field = r.string(e.Errors[i].Field)
		e.Errors[i].Message = r.string(e.Errors[i].Message)
	}
	e.RequestID = r.string(e.RequestID)
}

// jsonEscape is s as it reads between the quotes of a JSON string.
func jsonEscape(s string) string {
	quoted, _ := json.Marshal(s)
	return string(quoted[1 : len(quoted)-1])
}
