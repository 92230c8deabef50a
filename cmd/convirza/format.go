package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	convirza "github.com/convirza-community/convirza-go"
)

// callWriter writes calls in one output format.
type callWriter interface {
	// header is written once, at the start of a new output.
	header() error
	// write writes one call; recordingFile is where its recording is
	// downloaded to, if it is.
	write(c *convirza.Call, recordingFile string) error
	// flush pushes what is buffered to the writer below.
	flush() error
}

func newCallWriter(format string, w io.Writer) callWriter {
	if format == "csv" {
		return &csvWriter{w: csv.NewWriter(w)}
	}
	return &ndjsonWriter{w: w}
}

// ndjsonWriter writes each call as the server sent it, on one line.
type ndjsonWriter struct {
	w   io.Writer
	buf bytes.Buffer
}

func (n *ndjsonWriter) header() error { return nil }
func (n *ndjsonWriter) flush() error  { return nil }

func (n *ndjsonWriter) write(c *convirza.Call, _ string) error {
	n.buf.Reset()
	if err := json.Compact(&n.buf, c.Raw); err != nil {
		return err
	}
	n.buf.WriteByte('\n')
	_, err := n.w.Write(n.buf.Bytes())
	return err
}

// csvColumns is the fixed column set of -o csv; the help and the README
// document it.
var csvColumns = []string{"call_id", "call_started", "org_unit_id", "campaign_id", "provisioned_route_id",
	"caller_id", "phone_number", "ring_to", "disposition", "duration_seconds", "tags", "comments",
	"custom_sources", "call_flow", "recording_url", "recording_expires_at", "recording_file", "transcription"}

// csvWriter writes one row a call, nested fields flattened.
type csvWriter struct {
	w   *csv.Writer
	row []string
}

func (c *csvWriter) header() error { return c.w.Write(csvColumns) }

func (c *csvWriter) flush() error {
	c.w.Flush()
	return c.w.Error()
}

func (c *csvWriter) write(call *convirza.Call, recordingFile string) error {
	var recURL, recExpires string
	if r := call.Recording; r != nil {
		recURL = r.URL
		if !r.ExpiresAt.IsZero() {
			recExpires = r.ExpiresAt.UTC().Format(time.RFC3339)
		}
	}
	c.row = append(c.row[:0],
		strconv.FormatInt(call.ID, 10),
		timeCell(call.Started),
		idCell(call.OrgUnitID),
		idCell(call.CampaignID),
		idCell(call.ProvisionedRouteID),
		call.CallerID,
		call.PhoneNumber,
		call.RingTo,
		string(call.Disposition),
		strconv.FormatInt(int64(time.Duration(call.Duration)/time.Second), 10),
		joined(call.Tags, func(t convirza.Tag) string { return t.Name }),
		joined(call.Comments, func(m convirza.CallComment) string { return m.Comment }),
		joined(slices.Sorted(maps.Keys(call.CustomSources)), func(k string) string { return k + "=" + call.CustomSources[k] }),
		jsonCell(call.CallFlow),
		recURL,
		recExpires,
		recordingFile,
		call.Transcription,
	)
	return c.w.Write(c.row)
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// jsonCell is a free-form JSON value as sent, empty when the API sent
// null: a call without a call flow reads the same whether or not call_flow
// was asked for, as the other null fields do.
func jsonCell(raw json.RawMessage) string {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return ""
	}
	return string(raw)
}

// idCell leaves an id the API sent as null (0) empty.
func idCell(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func joined[T any](items []T, text func(T) string) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = text(it)
	}
	return strings.Join(parts, "; ")
}
