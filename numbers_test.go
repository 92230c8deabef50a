package convirza

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumbersAssignedWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/phone-numbers/assigned", 200, string(golden(t, "numbers/assigned.json")))

	page, err := c.PhoneNumbers.Assigned(context.Background(), &ListAssignedNumbersParams{
		PageParams: PageParams{Limit: 2, Offset: 4}, OrgUnitID: 1001, Type: NumberLocal,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/phone-numbers/assigned", url.Values{
		"limit": {"2"}, "offset": {"4"}, "org_unit_id": {"1001"}, "number_type": {"local"},
	}, "")
	assert.Equal(t, 2, page.Total)
	require.Len(t, page.Items, 2)
	p, r := page.Items[0], page.Items[1]
	assert.Equal(t, int64(67890), p.ID)
	assert.Equal(t, "9482013920", p.Number)
	assert.Equal(t, NumberLocal, p.Type)
	assert.Equal(t, int64(1001), p.OrgUnitID)
	assert.Equal(t, NumberProvisioned, p.Status)
	require.NotNil(t, p.RouteID)
	assert.Equal(t, int64(9001), *p.RouteID)
	assert.Equal(t, int64(12345), r.ID)
	assert.Equal(t, NumberReserved, r.Status)
	assert.Nil(t, r.RouteID, "a reserved number has no route")
	assert.Contains(t, string(r.Raw), `"provisioned_route_id": null`)
}

func TestNumbersAssignedDefaultsSendLimit(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/phone-numbers/assigned", 200, envelopeJSON(`{"numbers":[],"total":0}`))
	page, err := c.PhoneNumbers.Assigned(context.Background(), nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/phone-numbers/assigned", url.Values{"limit": {"100"}}, "")
	assert.NotNil(t, page.Items)
	assert.Empty(t, page.Items)
}

func TestNumbersProvisionedWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/phone-numbers/provisioned", 200, envelopeJSON(
		`{"numbers":[{"phone_number_id":67890,"phone_number":"9482013920","number_type":"toll-free","org_unit_id":1001,"number_status":"provisioned","provisioned_route_id":9001}],"total":3}`))
	page, err := c.PhoneNumbers.Provisioned(context.Background(), &ListProvisionedNumbersParams{
		PageParams: PageParams{Limit: 1, Offset: 2}, OrgUnitID: 1002,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/phone-numbers/provisioned", url.Values{
		"limit": {"1"}, "offset": {"2"}, "org_unit_id": {"1002"},
	}, "")
	require.Len(t, page.Items, 1)
	assert.Equal(t, 3, page.Total)
	assert.Equal(t, NumberTollFree, page.Items[0].Type, "toll-free is read as tollfree")
	assert.Equal(t, int64(9001), *page.Items[0].RouteID)

	_, err = c.PhoneNumbers.Provisioned(context.Background(), nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/phone-numbers/provisioned", url.Values{"limit": {"100"}}, "")
}

func TestNumbersListsRefuseBadPagingBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	a := respond(mt, "GET", "/phone-numbers/assigned", 200, envelopeJSON(`{"numbers":[],"total":0}`))
	p := respond(mt, "GET", "/phone-numbers/provisioned", 200, envelopeJSON(`{"numbers":[],"total":0}`))
	for name, pp := range map[string]PageParams{
		"limit 201": {Limit: 201}, "limit -1": {Limit: -1}, "offset -1": {Offset: -1},
	} {
		_, err := c.PhoneNumbers.Assigned(context.Background(), &ListAssignedNumbersParams{PageParams: pp})
		assert.ErrorIs(t, err, ErrInvalidParams, name)
		_, err = c.PhoneNumbers.Provisioned(context.Background(), &ListProvisionedNumbersParams{PageParams: pp})
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	assert.Zero(t, a.count())
	assert.Zero(t, p.count())
}

func TestNumbersAllAssignedAndProvisionedWalkEveryPage(t *testing.T) {
	for _, path := range []string{"/phone-numbers/assigned", "/phone-numbers/provisioned"} {
		t.Run(path, func(t *testing.T) {
			c, mt := newWireClient(t)
			var offsets []string
			mt.RegisterRegexpResponder("GET", regexpFor(testBase+path), func(req *http.Request) (*http.Response, error) {
				q := req.URL.Query()
				offsets = append(offsets, q.Get("offset"))
				assert.Equal(t, "2", q.Get("limit"))
				assert.Equal(t, "7", q.Get("org_unit_id"))
				body := map[string]string{
					"":  `{"numbers":[{"phone_number_id":1},{"phone_number_id":2}],"total":3}`,
					"2": `{"numbers":[{"phone_number_id":3}],"total":3}`,
				}[q.Get("offset")]
				return newJSONResponse(200, envelopeJSON(body)), nil
			})
			var ids []int64
			collect := func(n PhoneNumber, err error) {
				require.NoError(t, err)
				ids = append(ids, n.ID)
			}
			paging := PageParams{Limit: 2}
			if path == "/phone-numbers/assigned" {
				params := &ListAssignedNumbersParams{PageParams: paging, OrgUnitID: 7}
				for n, err := range c.PhoneNumbers.AllAssigned(context.Background(), params) {
					collect(n, err)
				}
				assert.Zero(t, params.Offset, "the caller's params are not changed")
			} else {
				for n, err := range c.PhoneNumbers.AllProvisioned(context.Background(), &ListProvisionedNumbersParams{PageParams: paging, OrgUnitID: 7}) {
					collect(n, err)
				}
			}
			assert.Equal(t, []int64{1, 2, 3}, ids)
			assert.Equal(t, []string{"", "2"}, offsets)
		})
	}
}

func TestNumbersAllStopsOnError(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/phone-numbers/provisioned", 401, `{"code":401,"message":"Token expired"}`)
	n := 0
	for _, err := range c.PhoneNumbers.AllProvisioned(context.Background(), nil) {
		n++
		assert.ErrorIs(t, err, ErrUnauthorized)
	}
	assert.Equal(t, 1, n)
}

func TestNumbersAvailableWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/phone-numbers/available", 200, string(golden(t, "numbers/available.json")))

	found, err := c.PhoneNumbers.Available(context.Background(), &SearchNumbersParams{Match: "948*"})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/phone-numbers/available", url.Values{
		"match": {"948*"}, "limit": {"20"},
	}, "")
	require.Len(t, found, 2, "carrier numbers are kept")
	carrier, inv := found[0], found[1]
	assert.Nil(t, carrier.NumberID)
	assert.True(t, carrier.IsCarrier())
	assert.Equal(t, "9482013920", carrier.Number)
	assert.Equal(t, int64(20002), carrier.Source)
	assert.Equal(t, NumberLocal, carrier.Type)
	require.NotNil(t, inv.NumberID)
	assert.Equal(t, int64(12345), *inv.NumberID)
	assert.False(t, inv.IsCarrier())
	assert.Equal(t, int64(10001), inv.Source)

	_, err = c.PhoneNumbers.Available(context.Background(), &SearchNumbersParams{
		State: "UT", RateCenter: "SALT LAKE CITY", Type: NumberTollFree, Limit: 5,
	})
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/phone-numbers/available", url.Values{
		"state": {"UT"}, "rc": {"SALT LAKE CITY"}, "number_type": {"tollfree"}, "limit": {"5"},
	}, "")

	_, err = c.PhoneNumbers.Available(context.Background(), nil)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "GET", "/phone-numbers/available", url.Values{"limit": {"20"}}, "")
}

func TestNumbersAvailableRefusesBadSearchBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "GET", "/phone-numbers/available", 200, envelopeJSON(`{"numbers":[],"total":0}`))
	for name, p := range map[string]*SearchNumbersParams{
		"match and state": {Match: "801*", State: "UT"},
		"match and rc":    {Match: "801*", RateCenter: "PROVO"},
		"rc alone":        {RateCenter: "PROVO"},
		"limit 201":       {Limit: 201},
		"limit -1":        {Limit: -1},
	} {
		_, err := c.PhoneNumbers.Available(context.Background(), p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	assert.Zero(t, rec.count())
}

func TestNumbersReserveCarrierNumberSendsNull(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "GET", "/phone-numbers/available", 200, string(golden(t, "numbers/available.json")))
	rec := respond(mt, "POST", "/phone-numbers", 200, string(golden(t, "numbers/reserve.json")))

	found, err := c.PhoneNumbers.Available(context.Background(), nil)
	require.NoError(t, err)
	num, err := c.PhoneNumbers.Reserve(context.Background(), found[0].ReserveParams(1001))
	require.NoError(t, err)
	// The body is the docs' example exactly: number_id null, unchanged.
	assertWire(t, rec.last(t), "POST", "/phone-numbers", nil, string(golden(t, "numbers/reserve_request.json")))
	assert.Equal(t, int64(67890), num.ID)
	assert.Equal(t, "9482013920", num.Number)
	assert.Equal(t, int64(1001), num.OrgUnitID, "filled from the params")
	assert.Equal(t, NumberReserved, num.Status)
	assert.JSONEq(t, `{ "phone_number_id": 67890, "phone_number": "9482013920" }`, string(num.Raw))
	assert.Equal(t, 1, rec.count(), "a POST is not retried")
}

func TestNumbersReserveInventoryNumber(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/phone-numbers", 200, envelopeJSON(`{"phoneNumberId":"12345"}`))
	id := int64(12345)
	cand := AvailableNumber{NumberID: &id, Number: "9482013930", Source: 10001}
	params := cand.ReserveParams(1002)
	id = 999 // the params do not share the candidate's pointer
	num, err := c.PhoneNumbers.Reserve(context.Background(), params)
	require.NoError(t, err)
	assertWire(t, rec.last(t), "POST", "/phone-numbers", nil,
		`{"number_id":12345,"number":"9482013930","source":10001,"org_unit_id":1002}`)
	assert.Equal(t, int64(12345), num.ID, "the top-level camelCase id is read")
	assert.Equal(t, "9482013930", num.Number)
	assert.Equal(t, int64(1002), num.OrgUnitID)
}

func TestNumbersReserveConflict(t *testing.T) {
	c, mt := newWireClient(t)
	respond(mt, "POST", "/phone-numbers", 409, `{"code":409,"message":"Number 9482013920 is already reserved","request_id":"r-1"}`)
	_, err := c.PhoneNumbers.Reserve(context.Background(), &ReserveNumberParams{Number: "9482013920", Source: 20002, OrgUnitID: 1})
	assert.ErrorIs(t, err, ErrConflict)
	assert.NotErrorIs(t, err, ErrDuplicateEmail)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Number 9482013920 is already reserved", apiErr.Message)
}

func TestNumbersReserveRefusesBadParamsBeforeIO(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "POST", "/phone-numbers", 200, envelopeJSON(`{"number":{"phone_number_id":1}}`))
	zero := int64(0)
	ok := ReserveNumberParams{Number: "9482013920", Source: 20002, OrgUnitID: 1001}
	for name, mutate := range map[string]func(*ReserveNumberParams){
		"no number":      func(p *ReserveNumberParams) { p.Number = " " },
		"no source":      func(p *ReserveNumberParams) { p.Source = 0 },
		"no org unit":    func(p *ReserveNumberParams) { p.OrgUnitID = 0 },
		"number id zero": func(p *ReserveNumberParams) { p.NumberID = &zero },
	} {
		p := ok
		mutate(&p)
		_, err := c.PhoneNumbers.Reserve(context.Background(), &p)
		assert.ErrorIs(t, err, ErrInvalidParams, name)
	}
	_, err := c.PhoneNumbers.Reserve(context.Background(), nil)
	assert.ErrorIs(t, err, ErrInvalidParams)
	assert.Zero(t, rec.count())
}

func TestNumbersReleaseWire(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "DELETE", "/phone-numbers/reserved/12345", 200, string(golden(t, "numbers/release.json")))
	require.NoError(t, c.PhoneNumbers.Release(context.Background(), 12345))
	assertWire(t, rec.last(t), "DELETE", "/phone-numbers/reserved/12345", nil, "")

	assert.ErrorIs(t, c.PhoneNumbers.Release(context.Background(), 0), ErrInvalidParams)
	assert.Equal(t, 1, rec.count())
}

func TestNumbersReleaseProvisionedIsConflict(t *testing.T) {
	c, mt := newWireClient(t)
	rec := respond(mt, "DELETE", "/phone-numbers/reserved/67890", 409,
		`{"code":409,"message":"Number has a provisioned route; delete the route first"}`)
	err := c.PhoneNumbers.Release(context.Background(), 67890)
	assert.ErrorIs(t, err, ErrConflict)
	assert.Equal(t, 1, rec.count(), "a 409 is not retried")
}

func TestNumbersGolden(t *testing.T) {
	assigned := goldenData(t, "numbers/assigned.json")
	var owned listData[PhoneNumber]
	require.NoError(t, jsonUnmarshal(assigned, &owned))
	require.Len(t, owned.Numbers, 2)
	assertKnownFields(t, assigned, listData[PhoneNumber]{})

	available := goldenData(t, "numbers/available.json")
	var cands listData[AvailableNumber]
	require.NoError(t, jsonUnmarshal(available, &cands))
	require.Len(t, cands.Numbers, 2)
	assert.Equal(t, 2, cands.Total)
	assertKnownFields(t, available, listData[AvailableNumber]{})

	reserved := goldenData(t, "numbers/reserve.json")
	var r reservation
	require.NoError(t, jsonUnmarshal(reserved, &r))
	require.NotNil(t, r.Number)
	assert.Equal(t, int64(67890), r.Number.ID)
	assertKnownFields(t, reserved, reservation{})

	var released Created
	require.NoError(t, jsonUnmarshal(goldenData(t, "numbers/release.json"), &released))
	assert.Equal(t, int64(12345), released.ID)

	// The reserve body decodes into the params and encodes back unchanged,
	// its null number_id included.
	req := golden(t, "numbers/reserve_request.json")
	var body ReserveNumberParams
	require.NoError(t, jsonUnmarshal(req, &body))
	assertKnownFields(t, req, body)
	assert.Nil(t, body.NumberID)
	out, err := json.Marshal(&body)
	require.NoError(t, err)
	assert.JSONEq(t, string(req), string(out))
}

func TestNumbersToleratesDrift(t *testing.T) {
	var n AvailableNumber
	require.NoError(t, jsonUnmarshal([]byte(`{"number_id":"12345","number":9482013930,"source":"10001","number_type":"Toll-Free","rate_center":"PROVO"}`), &n))
	require.NotNil(t, n.NumberID)
	assert.Equal(t, int64(12345), *n.NumberID)
	assert.Equal(t, "9482013930", n.Number)
	assert.Equal(t, int64(10001), n.Source)
	assert.Equal(t, NumberTollFree, n.Type)
	assert.Contains(t, string(n.Raw), "rate_center")

	var p PhoneNumber
	require.NoError(t, jsonUnmarshal([]byte(`{"phone_number_id":"67890","number_type":"mobile","provisioned_route_id":"9001"}`), &p))
	assert.Equal(t, int64(67890), p.ID)
	assert.Equal(t, NumberType("mobile"), p.Type, "unknown types are kept")
	require.NotNil(t, p.RouteID)
	assert.Equal(t, int64(9001), *p.RouteID)
}
