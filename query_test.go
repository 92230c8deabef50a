package convirza

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

type queryStringer int

func (q queryStringer) String() string { return "s" + string(rune('0'+int(q))) }

func TestEncodeQuery(t *testing.T) {
	type params struct {
		PageParams
		Name    string        `url:"name,omitempty"`
		Always  int           `url:"always"`
		Flag    bool          `url:"flag,omitempty"`
		Ptr     *int64        `url:"ptr,omitempty"`
		NilPtr  *int64        `url:"nil_ptr"`
		When    time.Time     `url:"when,omitempty"`
		Multi   []string      `url:"multi,omitempty"`
		Joined  []int         `url:"joined,omitempty,comma"`
		Ratio   float64       `url:"ratio,omitempty"`
		Small   uint8         `url:"small,omitempty"`
		Str     queryStringer `url:"str,omitempty"`
		Skipped string        `url:"-"`
		NoTag   string
		private string `url:"private"`
	}
	n := int64(0)
	got := encodeQuery(&params{
		PageParams: PageParams{Limit: 5}, Always: 0, Flag: true, Ptr: &n,
		When:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)),
		Multi: []string{"a", "b"}, Joined: []int{1, 2}, Ratio: 0.5, Small: 7, Str: 3,
		Skipped: "x", NoTag: "y", private: "z",
	})
	assert.Equal(t, url.Values{
		"always": {"0"}, "flag": {"true"}, "ptr": {"0"}, "when": {"2026-01-02T02:04:05Z"},
		"multi": {"a", "b"}, "joined": {"1,2"}, "ratio": {"0.5"}, "small": {"7"}, "str": {"s3"},
	}, got)
	assert.Nil(t, encodeQuery(nil))
	assert.Nil(t, encodeQuery((*params)(nil)))
	assert.Nil(t, encodeQuery(42))
}

func TestPathfAgreesWithFmt(t *testing.T) {
	cases := []struct {
		format string
		args   []any
	}{
		{"/users/%v", []any{int64(42)}},
		{"/users/%v", []any{int64(-7)}},
		{"/a/%v/b/%v", []any{1, "x y/z"}},
		{"/a/%v", []any{".."}},
		{"/a/%v", []any{"?#%2F"}},
		{"/100%%/%v", []any{int64(3)}},
		{"/a/%v", []any{3.5}},
		{"/a/%d", []any{4}},
		{"/a/%v/%v", []any{1}},
		{"/a/%v", []any{1, 2}},
		{"/a/%", []any{}},
	}
	for _, c := range cases {
		assert.Equal(t, pathfSlow(c.format, c.args), pathf(c.format, c.args...), "%q %v", c.format, c.args)
	}
	assert.Equal(t, "/users/42", pathf("/users/%v", int64(42)))
	assert.Equal(t, "/a/1/b/x%20y%2Fz", pathf("/a/%v/b/%v", 1, "x y/z"))
}
