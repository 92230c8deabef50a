package convirza

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
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

// list is the data of a list answer, declared by each list next to its
// model: a small struct that names the list's own key (and any other
// spelling the docs allow for it) and the total, such as
//
//	type userList struct {
//		Users []User `json:"users"`
//		Total int    `json:"total"`
//	}
//
// page returns the items, nil when the answer lacked the key.
type list[T any] interface {
	page() (items []T, total int)
}

// firstList returns the first of the lists an answer may hold that it did
// hold (nil when none): for the areas whose list key has two spellings.
func firstList[T any](lists ...[]T) []T {
	for _, l := range lists {
		if l != nil {
			return l
		}
	}
	return nil
}

// listPage fetches one page of a paginated list into L, the list's data.
// params (nil for the defaults) is the list's params struct: its url-tagged
// fields become the query and its PageParams the paging. An answer without
// the list's key, or with more items than the limit asked, is refused.
func listPage[T, L any, LP interface {
	*L
	list[T]
}, P any, PP interface {
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
	data, err := call[L](ctx, c, &request{method: "GET", path: path, query: q}, opts)
	if err != nil {
		return nil, err
	}
	items, total := LP(data).page()
	switch {
	case items == nil:
		return nil, invalidResponse("GET", path, "the answer has no list under the key of this list")
	case len(items) > limit:
		return nil, invalidResponse("GET", path, fmt.Sprintf("%d items in a page of %d", len(items), limit))
	}
	return &Page[T]{Items: items, Total: total, Limit: limit, Offset: paging.Offset}, nil
}

// listAll fetches a whole list that is not paginated (reference data),
// whose data is L, or a bare array, which reference lists may also be.
func listAll[T, L any, LP interface {
	*L
	list[T]
}](ctx context.Context, c *Client, path string, params any, opts []RequestOption) ([]T, error) {
	data, err := call[json.RawMessage](ctx, c, &request{method: "GET", path: path, query: encodeQuery(params)}, opts)
	if err != nil {
		return nil, err
	}
	var items []T
	if b := bytes.TrimSpace(*data); len(b) > 0 && b[0] == '[' {
		err = json.Unmarshal(b, &items)
	} else {
		var l L
		err = json.Unmarshal(b, &l)
		items, _ = LP(&l).page()
	}
	switch {
	case err != nil:
		return nil, invalidResponse("GET", path, err.Error())
	case items == nil:
		return nil, invalidResponse("GET", path, "the answer has no list under the key of this list")
	}
	return items, nil
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
