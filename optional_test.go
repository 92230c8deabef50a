package convirza

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOptionalThreeStates(t *testing.T) {
	type body struct {
		Name  Optional[string]   `json:"name,omitzero"`
		Count Optional[int]      `json:"count,omitzero"`
		Tags  Optional[[]string] `json:"tags,omitzero"`
	}
	for want, b := range map[string]body{
		`{}`:                       {},
		`{"name":null}`:            {Name: Null[string]()},
		`{"name":""}`:              {Name: Set("")},
		`{"count":0,"tags":["a"]}`: {Count: Set(0), Tags: Set([]string{"a"})},
		`{"name":"x","tags":null}`: {Name: Set("x"), Tags: Null[[]string]()},
	} {
		got, err := json.Marshal(b)
		require.NoError(t, err)
		assert.JSONEq(t, want, string(got))
	}

	var o Optional[int]
	assert.True(t, o.IsZero())
	_, ok := o.Get()
	assert.False(t, ok)
	require.NoError(t, json.Unmarshal([]byte(`null`), &o))
	assert.True(t, o.IsNull())
	require.NoError(t, json.Unmarshal([]byte(`5`), &o))
	v, ok := o.Get()
	assert.True(t, ok)
	assert.Equal(t, 5, v)
	assert.Error(t, json.Unmarshal([]byte(`"x"`), &o))
	b, _ := o.MarshalJSON()
	assert.Equal(t, "5", string(b))
	b, _ = Optional[int]{}.MarshalJSON()
	assert.Equal(t, "null", string(b))
}
