package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/spf13/cobra"
)

// apiMethods are the methods the API uses.
var apiMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

type apiFlags struct {
	query    []string
	input    string
	paginate bool
	output   string
}

func newAPICmd(e *env, g *globals) *cobra.Command {
	f := &apiFlags{}
	cmd := &cobra.Command{
		Use:   "api METHOD PATH",
		Short: "Call any endpoint and print the data of its answer",
		Long: `Call any endpoint of the API with the stored login, and print the "data" of
its answer as JSON. PATH is relative to the API base (with or without its
leading slash) and may carry a query; -q adds parameters to it. The body is
the JSON of --input FILE, or of stdin with --input -.

With --paginate, GET lists are followed page by page (limit and offset;
limit 200 unless -q sets it) and every item is printed in one JSON array,
or one item a line with -o ndjson. It stops after the last page the total
announces.

An error answer prints the server's message and request id, and the
command exits with status 1.`,
		Example: `  convirza api GET /users/list -q limit=5
  convirza api GET /conversations/calls -q start=2026-01-01T00:00:00Z -q end=2026-01-31T00:00:00Z --paginate -o ndjson
  echo '{"tag_name":"VIP","org_unit_id":1001}' | convirza api POST /tag --input -`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			method := strings.ToUpper(args[0])
			if !slices.Contains(apiMethods, method) {
				return usagef("method %q: use one of %s", args[0], strings.Join(apiMethods, ", "))
			}
			path, err := apiPath(args[1], f.query)
			if err != nil {
				return err
			}
			if f.output != "json" && f.output != "ndjson" {
				return usagef("-o %q: use json or ndjson", f.output)
			}
			if f.output == "ndjson" && !f.paginate {
				return usagef("-o ndjson needs --paginate: one answer is one JSON value")
			}
			if f.paginate && (method != "GET" || f.input != "") {
				return usagef("--paginate follows GET lists only")
			}
			body, err := e.apiBody(f.input)
			if err != nil {
				return err
			}
			c, err := g.client(e)
			if err != nil {
				return err
			}
			out := bufio.NewWriter(e.stdout)
			defer out.Flush()
			if f.paginate {
				return paginate(cmd, c, path, f.output == "ndjson", out)
			}
			var data json.RawMessage
			var send any
			if body != nil {
				send = body
			}
			if err := c.Do(cmd.Context(), method, path, send, &data); err != nil {
				return err
			}
			if len(data) == 0 {
				return nil // a DELETE's answer, say, without data
			}
			return writeIndented(out, data)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.query, "query", "q", nil, "a query parameter `key=value` (repeatable)")
	fl.StringVar(&f.input, "input", "", "`file` holding the JSON body; - reads stdin")
	fl.BoolVar(&f.paginate, "paginate", false, "follow limit/offset and print every item of a GET list")
	fl.StringVarP(&f.output, "output", "o", "json", "json, or ndjson with --paginate")
	return cmd
}

// apiPath joins PATH and the -q parameters.
func apiPath(raw string, params []string) (string, error) {
	p, rawQuery, _ := strings.Cut(raw, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", usagef("the query of %q: %v", raw, err)
	}
	for _, kv := range params {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return "", usagef("-q %q: want key=value", kv)
		}
		q.Add(k, v)
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p, nil
}

// apiBody reads and checks the JSON body named by --input.
func (e *env) apiBody(input string) (json.RawMessage, error) {
	if input == "" {
		return nil, nil
	}
	var b []byte
	var err error
	if input == "-" {
		b, err = io.ReadAll(e.stdin)
	} else {
		b, err = os.ReadFile(input)
	}
	if err != nil {
		return nil, usagef("--input: %v", err)
	}
	if !json.Valid(b) {
		return nil, usagef("--input %s does not hold valid JSON", input)
	}
	return json.RawMessage(bytes.TrimSpace(b)), nil
}

// paginate prints every item of the GET list at path, one page in memory
// at a time.
func paginate(cmd *cobra.Command, c *convirza.Client, path string, ndjson bool, out *bufio.Writer) error {
	p, rawQuery, _ := strings.Cut(path, "?")
	q, _ := url.ParseQuery(rawQuery) // built by apiPath
	limit := 200
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return usagef("limit %q: want a positive number", v)
		}
		limit = n
	}
	q.Set("limit", strconv.Itoa(limit))
	offset, _ := strconv.Atoi(q.Get("offset"))
	if !ndjson {
		out.WriteString("[")
	}
	n := 0
	var buf bytes.Buffer
	for {
		q.Set("offset", strconv.Itoa(offset))
		var data json.RawMessage
		if err := c.Do(cmd.Context(), "GET", p+"?"+q.Encode(), nil, &data); err != nil {
			return err
		}
		items, total, err := listOf(data)
		if err != nil {
			return fmt.Errorf("GET %s: %w", p, err)
		}
		for _, item := range items {
			switch {
			case ndjson:
			case n == 0:
				out.WriteString("\n  ")
			default:
				out.WriteString(",\n  ")
			}
			buf.Reset()
			if err := json.Compact(&buf, item); err != nil {
				return err
			}
			out.Write(buf.Bytes())
			if ndjson {
				out.WriteByte('\n')
			}
			n++
		}
		offset += len(items)
		if len(items) == 0 || total >= 0 && offset >= total || total < 0 && len(items) < limit {
			break
		}
	}
	if !ndjson {
		if n > 0 {
			out.WriteString("\n")
		}
		out.WriteString("]\n")
	}
	return nil
}

// listOf finds the items of a list answer: data itself when it is an
// array, else its one array member (whatever the list's key: "users",
// "calls"...), with "total" when sent (-1 otherwise).
func listOf(data json.RawMessage) (items []json.RawMessage, total int, err error) {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
		err = json.Unmarshal(data, &items)
		return items, -1, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, 0, fmt.Errorf("the answer is not a list: %w", err)
	}
	var keys []string
	for k, v := range obj {
		if bytes.HasPrefix(bytes.TrimSpace(v), []byte("[")) {
			keys = append(keys, k)
		}
	}
	if len(keys) != 1 {
		return nil, 0, fmt.Errorf("the answer is not a list: want one array member, found %d", len(keys))
	}
	if err := json.Unmarshal(obj[keys[0]], &items); err != nil {
		return nil, 0, err
	}
	total = -1
	if t, ok := obj["total"]; ok {
		var n json.Number
		if json.Unmarshal(bytes.Trim(t, `"`), &n) == nil {
			if v, err := n.Int64(); err == nil {
				total = int(v)
			}
		}
	}
	return items, total, nil
}

// writeIndented prints JSON indented by two spaces, as gh api does.
func writeIndented(w io.Writer, data json.RawMessage) error {
	var b bytes.Buffer
	if err := json.Indent(&b, data, "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}
