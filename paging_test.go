package convirza

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pagingCase is one paginated list of the SDK. Every list pages the same
// way, so the tests of this file run each check over every row.
type pagingCase struct {
	name         string
	path         string     // the list's path
	key, idKey   string     // the answer's list key, and an item's id key
	defaultLimit int        // the limit sent for a zero Limit; 0: Limit is required
	query        url.Values // what the row's filters add to every page's query
	pager
}

// pager calls a list's List and All with the row's filters set and the
// paging given (nil: nil params), and reduces the items to their ids.
type pager struct {
	list func(c *Client, paging *PageParams) (*Page[int64], error)
	// all also returns a check that the params it passed were not changed.
	all func(c *Client, paging *PageParams) (iter.Seq2[int64, error], func() bool)
}

type (
	listFunc[T, P any] = func(context.Context, *P, ...RequestOption) (*Page[T], error)
	allFunc[T, P any]  = func(context.Context, *P, ...RequestOption) iter.Seq2[T, error]
)

// pagerOf makes a row's pager from the two methods of a list, and filter
// (nil for none), which sets the row's filters on fresh params.
func pagerOf[T, P any, PP interface {
	*P
	paged
}](methods func(c *Client) (listFunc[T, P], allFunc[T, P]), filter func(*P)) pager {
	params := func(paging *PageParams) *P {
		if paging == nil {
			return nil
		}
		p := new(P)
		*PP(p).page() = *paging
		if filter != nil {
			filter(p)
		}
		return p
	}
	return pager{
		list: func(c *Client, paging *PageParams) (*Page[int64], error) {
			list, _ := methods(c)
			page, err := list(context.Background(), params(paging))
			if err != nil {
				return nil, err
			}
			var ids []int64
			if page.Items != nil {
				ids = []int64{}
			}
			for _, item := range page.Items {
				ids = append(ids, itemID(item))
			}
			return &Page[int64]{Items: ids, Total: page.Total, Limit: page.Limit, Offset: page.Offset}, nil
		},
		all: func(c *Client, paging *PageParams) (iter.Seq2[int64, error], func() bool) {
			_, all := methods(c)
			p := params(paging)
			var before P
			if p != nil {
				before = *p
			}
			seq := func(yield func(int64, error) bool) {
				for item, err := range all(context.Background(), p) {
					if !yield(itemID(item), err) {
						return
					}
				}
			}
			return seq, func() bool { return p == nil || reflect.DeepEqual(before, *p) }
		},
	}
}

// pagingCases are every paginated list method with its All: each row's
// filters are those the service's own paging tests carried on every page.
var pagingCases = []pagingCase{
	{name: "Users", path: "/users/list", key: "users", idKey: "ct_user_id", defaultLimit: 100,
		query: url.Values{"name": {"ann"}},
		pager: pagerOf(func(c *Client) (listFunc[User, ListUsersParams], allFunc[User, ListUsersParams]) {
			return c.Users.List, c.Users.All
		}, func(p *ListUsersParams) { p.Name = "ann" })},
	{name: "AIVoiceAgents", path: "/ai-voice-agents", key: "agents", idKey: "agent_id", defaultLimit: 100,
		pager: pagerOf(func(c *Client) (listFunc[AIVoiceAgent, ListAIVoiceAgentsParams], allFunc[AIVoiceAgent, ListAIVoiceAgentsParams]) {
			return c.AIVoiceAgents.List, c.AIVoiceAgents.All
		}, nil)},
	{name: "Broadcasts", path: "/broadcast", key: "broadcasts", idKey: "broadcast_id", defaultLimit: 100,
		query: url.Values{"status": {"sent"}},
		pager: pagerOf(func(c *Client) (listFunc[Broadcast, ListBroadcastsParams], allFunc[Broadcast, ListBroadcastsParams]) {
			return c.Broadcasts.List, c.Broadcasts.All
		}, func(p *ListBroadcastsParams) { p.Status = BroadcastSent })},
	{name: "Routes", path: "/provisioned-routes", key: "routes", idKey: "provisioned_route_id", defaultLimit: 100,
		query: url.Values{"status": {"inactive"}},
		pager: pagerOf(func(c *Client) (listFunc[Route, ListRoutesParams], allFunc[Route, ListRoutesParams]) {
			return c.Routes.List, c.Routes.All
		}, func(p *ListRoutesParams) { p.Status = RouteInactive })},
	{name: "Webhooks", path: "/webhooks", key: "webhooks", idKey: "webhook_id", defaultLimit: 100,
		query: url.Values{"status": {"inactive"}},
		pager: pagerOf(func(c *Client) (listFunc[Webhook, ListWebhooksParams], allFunc[Webhook, ListWebhooksParams]) {
			return c.Webhooks.List, c.Webhooks.All
		}, func(p *ListWebhooksParams) { p.Status = WebhookInactive })},
	{name: "Prompts", path: "/media-prompts", key: "prompts", idKey: "prompt_id", defaultLimit: 100,
		query: url.Values{"message_type": {"voicemail"}},
		pager: pagerOf(func(c *Client) (listFunc[Prompt, ListPromptsParams], allFunc[Prompt, ListPromptsParams]) {
			return c.Prompts.List, c.Prompts.All
		}, func(p *ListPromptsParams) { p.MessageType = PromptTypeVoicemail })},
	{name: "Tags", path: "/tag", key: "tags", idKey: "tag_id", defaultLimit: 100,
		pager: pagerOf(func(c *Client) (listFunc[Tag, ListTagsParams], allFunc[Tag, ListTagsParams]) {
			return c.Tags.List, c.Tags.All
		}, nil)},
	{name: "Calls", path: "/conversations/calls", key: "calls", idKey: "call_id",
		query: url.Values{"disposition": {"BUSY"}},
		pager: pagerOf(func(c *Client) (listFunc[Call, ListCallsParams], allFunc[Call, ListCallsParams]) {
			return c.Calls.List, c.Calls.All
		}, func(p *ListCallsParams) { p.Dispositions = []Disposition{DispositionBusy} })},
	{name: "SMS", path: "/conversations/sms", key: "conversation", idKey: "conversation_id", defaultLimit: 7,
		query: url.Values{"type": {"unassigned"}},
		pager: pagerOf(func(c *Client) (listFunc[SMSConversation, ListSMSParams], allFunc[SMSConversation, ListSMSParams]) {
			return c.SMS.List, c.SMS.All
		}, func(p *ListSMSParams) { p.Type = SMSUnassigned })},
	{name: "Groups", path: "/groups", key: "groups", idKey: "org_unit_id", defaultLimit: 100,
		query: url.Values{"org_unit_id": {"1001"}},
		pager: pagerOf(func(c *Client) (listFunc[Group, ListGroupsParams], allFunc[Group, ListGroupsParams]) {
			return c.Groups.List, c.Groups.All
		}, func(p *ListGroupsParams) { p.OrgUnitID = 1001 })},
	{name: "GroupsChildren", path: "/groups/list", key: "groups", idKey: "org_unit_id", defaultLimit: 100,
		query: url.Values{"org_unit_id": {"1001"}},
		pager: pagerOf(func(c *Client) (listFunc[Group, ListGroupsParams], allFunc[Group, ListGroupsParams]) {
			return c.Groups.ListChildren, c.Groups.AllChildren
		}, func(p *ListGroupsParams) { p.OrgUnitID = 1001 })},
	{name: "NumbersAssigned", path: "/phone-numbers/assigned", key: "numbers", idKey: "phone_number_id", defaultLimit: 100,
		query: url.Values{"org_unit_id": {"7"}},
		pager: pagerOf(func(c *Client) (listFunc[PhoneNumber, ListAssignedNumbersParams], allFunc[PhoneNumber, ListAssignedNumbersParams]) {
			return c.PhoneNumbers.Assigned, c.PhoneNumbers.AllAssigned
		}, func(p *ListAssignedNumbersParams) { p.OrgUnitID = 7 })},
	{name: "NumbersProvisioned", path: "/phone-numbers/provisioned", key: "numbers", idKey: "phone_number_id", defaultLimit: 100,
		query: url.Values{"org_unit_id": {"7"}},
		pager: pagerOf(func(c *Client) (listFunc[PhoneNumber, ListProvisionedNumbersParams], allFunc[PhoneNumber, ListProvisionedNumbersParams]) {
			return c.PhoneNumbers.Provisioned, c.PhoneNumbers.AllProvisioned
		}, func(p *ListProvisionedNumbersParams) { p.OrgUnitID = 7 })},
}

// pageQuery is the query of the row's page of limit at offset.
func (tc pagingCase) pageQuery(limit, offset int) url.Values {
	q := maps.Clone(tc.query)
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", strconv.Itoa(limit))
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	return q
}

// pageBody is an answer of the row's list: the items with ids from..to and
// the total.
func (tc pagingCase) pageBody(from, to, total int) string {
	items := []string{}
	for id := from; id <= to; id++ {
		items = append(items, fmt.Sprintf(`{%q:%d}`, tc.idKey, id))
	}
	return envelopeJSON(fmt.Sprintf(`{%q:[%s],"total":%d}`, tc.key, strings.Join(items, ","), total))
}

// respondPages answers the row's list with 5 items, two a page from the
// offset asked for (whatever the limit), and with failure (a status) from
// offset failAt on; failAt < 0 never fails.
func respondPages(t *testing.T, tc pagingCase, failAt, failure int) (*Client, *recorder) {
	c, mt := newWireClient(t)
	rec := respondWith(mt, "GET", tc.path, func(req wireRequest) (int, string) {
		offset, _ := strconv.Atoi(req.Query.Get("offset"))
		if failAt >= 0 && offset >= failAt {
			return failure, fmt.Sprintf(`{"code":%d,"message":"No"}`, failure)
		}
		return 200, tc.pageBody(offset+1, min(offset+2, 5), 5)
	})
	return c, rec
}

func TestListsRefuseBadPagingBeforeIO(t *testing.T) {
	for _, tc := range pagingCases {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newWireClient(t)
			rec := respond(mt, "GET", tc.path, 200, tc.pageBody(1, 0, 0))
			bad := map[string]*PageParams{
				"limit 201": {Limit: 201}, "limit -1": {Limit: -1}, "limit 1000": {Limit: 1000},
				"offset -1": {Offset: -1}, "limit 2, offset -1": {Limit: 2, Offset: -1},
			}
			if tc.defaultLimit == 0 {
				bad["no limit"] = &PageParams{}
				bad["nil params"] = nil
			}
			for name, paging := range bad {
				_, err := tc.list(c, paging)
				assert.ErrorIs(t, err, ErrInvalidParams, name)
				seq, _ := tc.all(c, paging)
				n := 0
				for _, err := range seq {
					n++
					assert.ErrorIs(t, err, ErrInvalidParams, name)
				}
				assert.Equal(t, 1, n, "All yields the error once: %s", name)
			}
			if tc.defaultLimit == 0 {
				_, err := tc.list(c, nil)
				assert.ErrorContains(t, err, "limit is required")
			}
			assert.Zero(t, rec.count())
		})
	}
}

func TestListsSendTheirDefaultLimit(t *testing.T) {
	for _, tc := range pagingCases {
		if tc.defaultLimit == 0 {
			continue // Limit is required: see TestListsRefuseBadPagingBeforeIO
		}
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newWireClient(t)
			rec := respond(mt, "GET", tc.path, 200, tc.pageBody(1, 0, 0))
			page, err := tc.list(c, nil)
			require.NoError(t, err)
			assertWire(t, rec.last(t), "GET", tc.path, url.Values{"limit": {strconv.Itoa(tc.defaultLimit)}}, "")
			assert.Equal(t, &Page[int64]{Items: []int64{}, Limit: tc.defaultLimit}, page, "an empty page has empty, not nil, items")
			assert.False(t, page.HasMore())

			_, err = tc.list(c, &PageParams{})
			require.NoError(t, err)
			assertWire(t, rec.last(t), "GET", tc.path, tc.pageQuery(tc.defaultLimit, 0), "")
		})
	}
}

func TestListsSendTheirPaging(t *testing.T) {
	for _, tc := range pagingCases {
		t.Run(tc.name, func(t *testing.T) {
			c, rec := respondPages(t, tc, -1, 0)
			page, err := tc.list(c, &PageParams{Limit: 2, Offset: 2})
			require.NoError(t, err)
			assertWire(t, rec.last(t), "GET", tc.path, tc.pageQuery(2, 2), "")
			assert.Equal(t, &Page[int64]{Items: []int64{3, 4}, Total: 5, Limit: 2, Offset: 2}, page)
			assert.True(t, page.HasMore())
		})
	}
}

func TestAllWalksEveryPage(t *testing.T) {
	for _, tc := range pagingCases {
		t.Run(tc.name, func(t *testing.T) {
			limits := []int{2}
			if tc.defaultLimit > 0 {
				limits = append(limits, 0) // every page asks for the default
			}
			for _, limit := range limits {
				c, rec := respondPages(t, tc, -1, 0)
				seq, unchanged := tc.all(c, &PageParams{Limit: limit})
				var ids []int64
				for id, err := range seq {
					require.NoError(t, err)
					ids = append(ids, id)
				}
				assert.Equal(t, []int64{1, 2, 3, 4, 5}, ids, "limit %d", limit)
				reqs := rec.requests()
				require.Len(t, reqs, 3, "limit %d", limit)
				for i, offset := range []int{0, 2, 4} {
					assertWire(t, reqs[i], "GET", tc.path, tc.pageQuery(cmp.Or(limit, tc.defaultLimit), offset), "")
				}
				assert.True(t, unchanged(), "the caller's params are not changed")
			}
		})
	}
}

func TestAllStopsFetchingOnBreak(t *testing.T) {
	for _, tc := range pagingCases {
		t.Run(tc.name, func(t *testing.T) {
			for stopAt, pages := range map[int]int{1: 1, 2: 1, 3: 2} {
				c, rec := respondPages(t, tc, -1, 0)
				seq, _ := tc.all(c, &PageParams{Limit: 2})
				n := 0
				for range seq {
					if n++; n == stopAt {
						break
					}
				}
				assert.Equal(t, pages, rec.count(), "a break at item %d", stopAt)
			}
		})
	}
}

func TestAllYieldsAnErrorOnce(t *testing.T) {
	for _, tc := range pagingCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []struct {
				at, status int
				want       error
				before     []int64
			}{
				{0, 403, ErrForbidden, nil},
				{0, 401, ErrUnauthorized, nil},
				{2, 403, ErrForbidden, []int64{1, 2}}, // the second page fails
			} {
				c, rec := respondPages(t, tc, f.at, f.status)
				seq, _ := tc.all(c, &PageParams{Limit: 2})
				var ids []int64
				var errs []error
				for id, err := range seq {
					if err != nil {
						errs = append(errs, err)
						assert.Zero(t, id)
						continue
					}
					require.Empty(t, errs, "nothing comes after the error")
					ids = append(ids, id)
				}
				assert.Equal(t, f.before, ids)
				require.Len(t, errs, 1)
				assert.ErrorIs(t, errs[0], f.want)
				assert.Equal(t, f.at/2+1, rec.count(), "no page is fetched after the error")
			}
		})
	}
}
