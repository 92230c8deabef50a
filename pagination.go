package convirza

import (
	"bytes"
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// MaxLimit is the largest page size the API accepts.
const MaxLimit = 200

// Page is one page of a list.
type Page[T any] struct {
	// Items are the records of this page.
	Items []T
	// Total is the number of matching records across all pages.
	Total int
	// Limit and Offset are the page size and the offset that were sent.
	Limit, Offset int
}

// HasMore reports whether records remain after this page.
func (p *Page[T]) HasMore() bool {
	return len(p.Items) > 0 && p.Offset+len(p.Items) < p.Total
}

// PageParams are the paging fields of every paginated list. Embed them in a
// list's params.
type PageParams struct {
	// Limit is the page size, 1..200. Zero sends the endpoint's default
	// (100 for most lists).
	Limit int `url:"-"`
	// Offset is the number of records to skip, 0 or more.
	Offset int `url:"-"`
}

func (p *PageParams) page() *PageParams { return p }

// paged is a params struct that embeds PageParams.
type paged interface{ page() *PageParams }

// pageQuery validates the paging fields and writes them into q, limit always
// (the API's advice), offset when not zero. It returns the limit sent.
func (p PageParams) pageQuery(q url.Values, defaultLimit int) (int, error) {
	limit := p.Limit
	if limit == 0 {
		limit = defaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		return 0, invalidf("limit must be between 1 and %d, got %d", MaxLimit, p.Limit)
	}
	if p.Offset < 0 {
		return 0, invalidf("offset must not be negative, got %d", p.Offset)
	}
	q.Set("limit", strconv.Itoa(limit))
	if p.Offset > 0 {
		q.Set("offset", strconv.Itoa(p.Offset))
	}
	return limit, nil
}

// listData is the "data" of a list answer: the records under the area's
// plural key, and the total. Every key the API uses is a field, so a page
// decodes in one pass straight into its final type, whatever the area.
type listData[T any] struct {
	Users      []T `json:"users"`
	Groups     []T `json:"groups"`
	Webhooks   []T `json:"webhooks"`
	Prompts    []T `json:"prompts"`
	Agents     []T `json:"agents"`
	Numbers    []T `json:"numbers"`
	Routes     []T `json:"routes"`
	Broadcasts []T `json:"broadcasts"`
	Calls      []T `json:"calls"`
	Call       []T `json:"call"` // calls may come under a singular key, like SMS
	Convos     []T `json:"conversation"`
	AdSources  []T `json:"ad_sources"`
	Industries []T `json:"industries"`
	Tags       []T `json:"tags"`
	Items      []T `json:"items"`
	// Other spellings the docs show for some areas.
	MediaPrompts  []T `json:"media_prompts"`
	AIVoiceAgents []T `json:"ai_voice_agents"`
	ProvRoutes    []T `json:"provisioned_routes"`
	Broadcast     []T `json:"broadcast"`

	Total int `json:"total"`
}

// decodeData reads the data object in place (see dataDecoder): each list
// is decoded straight into a slice of its final length, and the total is
// read without a second pass over the items.
func (d *listData[T]) decodeData(b []byte, i int) (int, error) {
	end, err := walkObject(b, i, func(key []byte, b []byte, i int) (int, error) {
		if dst := d.list(key); dst != nil {
			return decodeList(b, i, dst)
		}
		end, err := skipValue(b, i)
		if err != nil || !keyIs(key, "total") {
			return end, err
		}
		v := b[i:end]
		if n, err := strconv.Atoi(string(v)); err == nil {
			d.Total = n
			return end, nil
		}
		return end, json.Unmarshal(v, &d.Total)
	})
	if err == errNotObject {
		// Not an object: encoding/json says why.
		if end, err = skipValue(b, i); err == nil {
			type plain listData[T]
			err = json.Unmarshal(b[skipSpace(b, i):end], (*plain)(d))
		}
	}
	return end, err
}

// list returns the slice a key of the data object fills, or nil. The keys
// are read from listData's tags, so a list key added there is decoded here
// too.
func (d *listData[T]) list(key []byte) *[]T {
	for _, f := range listFields() {
		if keyIs(key, f.name) {
			return reflect.ValueOf(d).Elem().Field(f.index).Addr().Interface().(*[]T)
		}
	}
	return nil
}

type listField struct {
	name  string
	index int
}

// listFields are the JSON keys of listData's lists, in field order (the
// order encoding/json would match a key in).
var listFields = sync.OnceValue(func() []listField {
	t := reflect.TypeFor[listData[struct{}]]()
	var out []listField
	for i := range t.NumField() {
		if f := t.Field(i); f.Type.Kind() == reflect.Slice {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out = append(out, listField{name: name, index: i})
		}
	}
	return out
})

func (d *listData[T]) items() []T {
	for _, s := range [][]T{d.Users, d.Groups, d.Webhooks, d.Prompts, d.Agents, d.Numbers, d.Routes,
		d.Broadcasts, d.Calls, d.Call, d.Convos, d.AdSources, d.Industries, d.Tags, d.Items,
		d.MediaPrompts, d.AIVoiceAgents, d.ProvRoutes, d.Broadcast} {
		if s != nil {
			return s
		}
	}
	return []T{}
}

// listPage fetches one page of a paginated list. params (nil for the
// defaults) is the list's params struct: its url-tagged fields become the
// query and its PageParams the paging.
func listPage[T any, P any, PP interface {
	*P
	paged
}](ctx context.Context, c *Client, path string, params *P, defaultLimit int, opts []RequestOption) (*Page[T], error) {
	var p P
	if params != nil {
		p = *params
	}
	q := encodeQuery(PP(&p))
	if q == nil {
		q = url.Values{}
	}
	paging := *PP(&p).page()
	limit, err := paging.pageQuery(q, defaultLimit)
	if err != nil {
		return nil, err
	}
	var data listData[T]
	if err := c.send(ctx, &request{method: "GET", path: path, query: q}, &data, opts); err != nil {
		return nil, err
	}
	return &Page[T]{Items: data.items(), Total: data.Total, Limit: limit, Offset: paging.Offset}, nil
}

// listAll fetches a whole list that is not paginated (reference data).
func listAll[T any](ctx context.Context, c *Client, path string, params any, opts []RequestOption) ([]T, error) {
	var data wholeList[T]
	if err := c.send(ctx, &request{method: "GET", path: path, query: encodeQuery(params)}, &data, opts); err != nil {
		return nil, err
	}
	if data.items == nil {
		return []T{}, nil
	}
	return data.items, nil
}

// wholeList is the data of a list that is not paginated: an object with the
// list under its key (and a total), or a bare array, which reference lists
// may also be.
type wholeList[T any] struct{ items []T }

func (l *wholeList[T]) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &l.items)
	}
	var d listData[T]
	if err := json.Unmarshal(b, &d); err != nil {
		return err
	}
	l.items = d.items()
	return nil
}

// all walks every page of a list lazily: it copies params (so the caller's
// struct is never changed), fetches a page only when the previous one is
// used up, and stops on the first error, which it yields once. It starts no
// goroutine; breaking out of the loop stops the fetching.
func all[T any, P any, PP interface {
	*P
	paged
}](ctx context.Context, params *P, list func(context.Context, *P) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var p P
		if params != nil {
			p = *params
		}
		paging := PP(&p).page()
		for {
			page, err := list(ctx, &p)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if !page.HasMore() {
				return
			}
			paging.Offset += len(page.Items)
		}
	}
}
