package convirza

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumbersAssignedWire(t *testing.T) {
	page := assertSends(t, "GET", "/phone-numbers/assigned", url.Values{
		"limit": {"2"}, "offset": {"4"}, "org_unit_id": {"1001"}, "number_type": {"local"},
	}, string(golden(t, "numbers/assigned.json")), "", func(c *Client) (*Page[PhoneNumber], error) {
		return c.PhoneNumbers.Assigned(context.Background(), &ListAssignedNumbersParams{
			PageParams: PageParams{Limit: 2, Offset: 4}, OrgUnitID: 1001, Type: NumberLocal,
		})
	})
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

func TestNumbersProvisionedWire(t *testing.T) {
	page := assertSends(t, "GET", "/phone-numbers/provisioned", url.Values{
		"limit": {"1"}, "offset": {"2"}, "org_unit_id": {"1002"},
	}, envelopeJSON(
		`{"numbers":[{"phone_number_id":67890,"phone_number":"9482013920","number_type":"toll-free","org_unit_id":1001,"number_status":"provisioned","provisioned_route_id":9001}],"total":3}`), "", func(c *Client) (*Page[PhoneNumber], error) {
		return c.PhoneNumbers.Provisioned(context.Background(), &ListProvisionedNumbersParams{
			PageParams: PageParams{Limit: 1, Offset: 2}, OrgUnitID: 1002,
		})
	})
	require.Len(t, page.Items, 1)
	assert.Equal(t, 3, page.Total)
	assert.Equal(t, NumberTollFree, page.Items[0].Type, "toll-free is read as tollfree")
	assert.Equal(t, int64(9001), *page.Items[0].RouteID)
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
	assertRefusedBeforeIO(t, map[string]*SearchNumbersParams{
		"match and state": {Match: "801*", State: "UT"},
		"match and rc":    {Match: "801*", RateCenter: "PROVO"},
		"rc alone":        {RateCenter: "PROVO"},
		"limit 201":       {Limit: 201},
		"limit -1":        {Limit: -1},
	}, func(c *Client, p *SearchNumbersParams) error {
		_, err := c.PhoneNumbers.Available(context.Background(), p)
		return err
	})
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
	id := int64(12345)
	cand := AvailableNumber{NumberID: &id, Number: "9482013930", Source: 10001}
	params := cand.ReserveParams(1002)
	id = 999 // the params do not share the candidate's pointer
	// The top-level camelCase id is read.
	num := assertWriteWire(t, "POST", "/phone-numbers", envelopeJSON(`{"phoneNumberId":"12345"}`),
		`{"number_id":12345,"number":"9482013930","source":10001,"org_unit_id":1002}`, 12345, func(c *Client) (*PhoneNumber, error) {
			return c.PhoneNumbers.Reserve(context.Background(), params)
		})
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
	zero := int64(0)
	ok := ReserveNumberParams{Number: "9482013920", Source: 20002, OrgUnitID: 1001}
	cases := changed(ok, map[string]func(*ReserveNumberParams){
		"no number":      func(p *ReserveNumberParams) { p.Number = " " },
		"no source":      func(p *ReserveNumberParams) { p.Source = 0 },
		"no org unit":    func(p *ReserveNumberParams) { p.OrgUnitID = 0 },
		"number id zero": func(p *ReserveNumberParams) { p.NumberID = &zero },
	})
	cases["nil"] = nil
	assertRefusedBeforeIO(t, cases, func(c *Client, p *ReserveNumberParams) error {
		_, err := c.PhoneNumbers.Reserve(context.Background(), p)
		return err
	})
}

func TestNumbersReleaseWire(t *testing.T) {
	assertDeleteWire(t, "/phone-numbers/reserved/%d", 12345, string(golden(t, "numbers/release.json")), func(c *Client, id int64) error {
		return c.PhoneNumbers.Release(context.Background(), id)
	})
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
	owned := decodeGolden[numberList](t, goldenData(t, "numbers/assigned.json"))
	require.Len(t, owned.Numbers, 2)

	cands := decodeGolden[availableList](t, goldenData(t, "numbers/available.json"))
	require.Len(t, cands.Numbers, 2)
	assert.Equal(t, 2, cands.Total)

	r := decodeGolden[reservation](t, goldenData(t, "numbers/reserve.json"))
	require.NotNil(t, r.Number)
	assert.Equal(t, int64(67890), r.Number.ID)

	assertGoldenIDs(t, 12345, "numbers/release.json")

	// The reserve body decodes into the params and encodes back unchanged,
	// its null number_id included.
	req := golden(t, "numbers/reserve_request.json")
	body := decodeGolden[ReserveNumberParams](t, req)
	assert.Nil(t, body.NumberID)
	assertEncodesAs(t, req, &body)
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
