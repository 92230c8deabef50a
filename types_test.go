package convirza

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBoolDecodesEveryForm(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `false`: false, `"Yes"`: true, `"No"`: false,
		`"true"`: true, `"FALSE"`: false, `1`: true, `0`: false, `null`: false, `"y"`: true, `"maybe"`: false} {
		var b Bool
		require.NoError(t, json.Unmarshal([]byte(in), &b), in)
		assert.Equal(t, want, bool(b), in)
	}
	out, _ := json.Marshal(Bool(true))
	assert.Equal(t, "true", string(out))
}

func TestTimeDecodesISOAndUnix(t *testing.T) {
	want := time.Date(2026, 1, 27, 12, 34, 56, 0, time.UTC)
	for _, in := range []string{`"2026-01-27T12:34:56Z"`, `"2026-01-27T12:34:56.000Z"`, `1769517296`, `"1769517296"`,
		`1769517296000`, `"2026-01-27 12:34:56"`} {
		var tm Time
		require.NoError(t, json.Unmarshal([]byte(in), &tm), in)
		assert.True(t, want.Equal(tm.Time), "%s gave %v", in, tm.Time)
	}
	var tm Time
	require.NoError(t, json.Unmarshal([]byte(`"soon"`), &tm))
	assert.True(t, tm.IsZero())
	out, _ := json.Marshal(Time{want})
	assert.Equal(t, `"2026-01-27T12:34:56Z"`, string(out))
	out, _ = json.Marshal(Time{})
	assert.Equal(t, `null`, string(out))
}

func TestDurationDecodesClockAndSeconds(t *testing.T) {
	for in, want := range map[string]time.Duration{
		`"00:03:21"`: 3*time.Minute + 21*time.Second, `"01:00:00"`: time.Hour, `"03:21"`: 3*time.Minute + 21*time.Second,
		`201`: 201 * time.Second, `"1.5"`: 1500 * time.Millisecond, `"3m21s"`: 3*time.Minute + 21*time.Second,
		`null`: 0, `"1:2:3:4"`: 0, `"aa:bb"`: 0,
	} {
		var d Duration
		require.NoError(t, json.Unmarshal([]byte(in), &d), in)
		assert.Equal(t, want, time.Duration(d), in)
	}
	out, _ := json.Marshal(Duration(time.Hour + 2*time.Minute + 3*time.Second))
	assert.Equal(t, `"01:02:03"`, string(out))
	assert.Equal(t, "1h0m0s", Duration(time.Hour).String())
}

func TestCreatedReadsAnyIDKey(t *testing.T) {
	for in, want := range map[string]int64{`{"userId":12346}`: 12346, `{"orgUnitId":"2001"}`: 2001, `{"id":5,"success":true}`: 5,
		`{"ct_user_id":10001,"success":true}`: 10001, `77`: 77, `{"nothing":1}`: 0,
		`{"agentId":5}`: 5, `{"agent_id":6}`: 6, `{"promptId":8}`: 8, `{"prompt_id":9}`: 9, `{"id":"11"}`: 11,
		`{"tagId":12}`: 12, `{"tag_id":13}`: 13} {
		var c Created
		require.NoError(t, json.Unmarshal([]byte(in), &c), in)
		assert.Equal(t, want, c.ID, in)
		assert.JSONEq(t, in, string(c.Raw))
	}
}

// A create's answer reaches its caller whatever the spelling of the id.
func TestCreatesReadEveryIDKey(t *testing.T) {
	for _, tc := range []struct {
		path    string
		id      int64
		answers []string
		create  func(c *Client) (*Created, error)
	}{
		{"/webhooks", 301, []string{`{"webhookId":301}`, `{"webhook_id":301}`, `{"id":301}`}, func(c *Client) (*Created, error) {
			return c.Webhooks.Create(context.Background(), &CreateWebhookParams{Name: "N", URL: "https://a.example"})
		}},
		{"/groups", 2001, []string{`{"orgUnitId":2001}`, `{"org_unit_id":2001,"success":true}`, `{"id":2001}`}, func(c *Client) (*Created, error) {
			return c.Groups.Create(context.Background(), &CreateGroupParams{Name: "N", ParentID: 1001})
		}},
	} {
		for _, data := range tc.answers {
			c, mt := newWireClient(t)
			respond(mt, "POST", tc.path, 200, envelopeJSON(data))
			created, err := tc.create(c)
			require.NoError(t, err, data)
			assert.Equal(t, tc.id, created.ID, data)
		}
	}
}

func TestLenientDecodeCoercions(t *testing.T) {
	type model struct {
		N     int            `json:"n"`
		U     uint16         `json:"u"`
		F     float64        `json:"f"`
		S     string         `json:"s"`
		B     bool           `json:"b"`
		P     *int64         `json:"p"`
		T     time.Time      `json:"t"`
		D     time.Duration  `json:"d"`
		L     []string       `json:"l"`
		Obj   map[string]int `json:"obj"`
		Inner struct{ A int }
		Raw   json.RawMessage `json:"-"`
	}
	var m model
	require.NoError(t, decodeModel([]byte(`{"n":"12","u":"7","f":"1.5","s":42,"b":"Yes","p":"9","t":1769517296,
		"d":"00:01:00","l":"one","obj":"not an object","inner":{"a":3}}`), &m, &m.Raw))
	assert.Equal(t, 12, m.N)
	assert.Equal(t, uint16(7), m.U)
	assert.Equal(t, 1.5, m.F)
	assert.Equal(t, "42", m.S)
	assert.True(t, m.B)
	require.NotNil(t, m.P)
	assert.Equal(t, int64(9), *m.P)
	assert.Equal(t, int64(1769517296), m.T.Unix())
	assert.Equal(t, time.Minute, m.D)
	assert.Equal(t, []string{"one"}, m.L)
	assert.Nil(t, m.Obj, "what cannot be coerced stays zero")
	assert.Equal(t, 3, m.Inner.A, "keys match case-insensitively")

	var bad model
	assert.Error(t, decodeModel([]byte(`{"n":`), &bad, &bad.Raw), "a syntax error still fails")
	var null model
	require.NoError(t, decodeModel([]byte(`null`), &null, &null.Raw))
	assert.Nil(t, null.Raw)
	var overflow struct {
		N int8 `json:"n"`
	}
	var raw json.RawMessage
	require.NoError(t, decodeModel([]byte(`{"n":"1000"}`), &overflow, &raw))
	assert.Zero(t, overflow.N)
}
