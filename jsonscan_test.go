package convirza

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanCases are JSON texts, valid and not, on which the scanner must agree
// with encoding/json.
var scanCases = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5`, `-1.5e+10`, `1E5`, `"x"`, ` {"a" : [1, 2, {"b": null}]} `,
	`"\u00e9\n\t\"\\\/"`, `{"a":{"b":{"c":[[],[{}]]}}}`, `"é ☃"`, "\"\xff\"",
	``, ` `, `{`, `}`, `[`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a":1 "b":2}`, `{a:1}`,
	`01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`, `0x10`, `tru`, `nul`, `nulls`, `truex`, `"abc`, `"\x"`, `"\u12"`,
	`"\u12g4"`, "\"a\tb\"", "\"a\nb\"", `{"a":1}}`, `[1]]`, `{"a":1} {"b":2}`, `"\`, `{"a":"\u00"}`, `[-]`,
	`{"":1}`, `[[[[[]]]]]`, `123456789012345678901234567890`, `{"a":[1,{"b":[true,false,null]}],"c":"d"}`,
}

// validByScan reports whether b is one JSON value and nothing else but
// white space, by skipValue.
func validByScan(b []byte) bool {
	end, err := skipValue(b, 0)
	return err == nil && skipSpace(b, end) == len(b)
}

func TestSkipValueAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range scanCases {
		assert.Equal(t, json.Valid([]byte(c)), validByScan([]byte(c)), "%q", c)
	}
	deep := strings.Repeat("[", maxScanDepth+1) + strings.Repeat("]", maxScanDepth+1)
	assert.False(t, validByScan([]byte(deep)), "deeper than encoding/json allows")
	assert.Equal(t, json.Valid([]byte(deep[1:len(deep)-1])), validByScan([]byte(deep[1:len(deep)-1])))
}

func FuzzSkipValue(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if json.Valid(b) != validByScan(b) {
			t.Fatalf("json.Valid and skipValue disagree on %q", b)
		}
	})
}

// decodeStd is the envelope decoding of encoding/json that env.decode
// replaces: one Decoder pass over the body into the envelope with out as
// its data.
func decodeStd(b []byte, out any) (envelope, error) {
	env := envelope{Data: out}
	err := json.NewDecoder(bytes.NewReader(b)).Decode(&env)
	env.Data = nil
	return env, err
}

func TestEnvelopeDecodeAgreesWithEncodingJSON(t *testing.T) {
	user := `{"ct_user_id":7,"first_name":"Ann","access_audio":"Yes","user_created":"2026-03-29T12:00:00.000Z","extra":{"x":[1]}}`
	drifted := `{"ct_user_id":"8","group_access":"3","access_audio":1}`
	bodies := []string{
		`{"code":200,"message":"Success","data":` + user + `,"request_id":"r1","timestamp":"2026-01-20T12:34:56.789Z"}`,
		`{"code":"200","data":` + drifted + `}`,
		`{"CODE":404,"Message":"gone","DATA":null,"requestId":"r2","errors":[{"field":"id","message":"bad"}],"error":"x"}`,
		`{"code":200,"data":` + user + `,"data":` + drifted + `}`,
		`{"code":200,"d\u0061ta":` + user + `}`,
		`  {"code":200,"data":` + user + `}  trailing garbage`,
		`{"code":200,"data":null}`,
		`{"code":200}`,
		`{"code":200,"message":5,"data":` + user + `}`,
		`{"code":200,"request_id":"esc\"aped","data":` + user + `}`,
		`{"code":200,"data":5}`,
		`{"code":200,"data":"` + strings.Repeat("x", 10) + `"}`,
		`{"code":200,"data":` + user,
		`[1,2]`,
		`"text"`,
		` `,
		`{"code":200,"data":{"a":1,}}`,
	}
	for _, b := range bodies {
		for _, target := range []func() any{
			func() any { return &User{FirstName: "preset"} },
			func() any { return &map[string]any{} },
			func() any { return new(*User) },
			func() any { return &skipJSON{} },
			func() any { return new(json.RawMessage) },
		} {
			wantOut, gotOut := target(), target()
			want, wantErr := decodeStd([]byte(b), wantOut)
			var got envelope
			gotErr := got.decode([]byte(b), gotOut, true)
			require.Equal(t, wantErr != nil, gotErr != nil, "%s into %T: %v / %v", b, wantOut, wantErr, gotErr)
			if wantErr != nil {
				var lazy envelope
				assert.Error(t, lazy.decode([]byte(b), target(), false), b)
				continue
			}
			assert.Equal(t, want, got, "%s into %T", b, wantOut)
			assert.Equal(t, wantOut, gotOut, "%s into %T", b, wantOut)

			// Without the strings: the same verdict, data and code.
			lazyOut := target()
			var lazy envelope
			require.NoError(t, lazy.decode([]byte(b), lazyOut, false), b)
			assert.Equal(t, want.Code, lazy.Code, b)
			assert.Equal(t, wantOut, lazyOut, "%s into %T", b, wantOut)
		}
	}
}

func TestListDecodeAgreesWithEncodingJSON(t *testing.T) {
	item := func(id int) string {
		return `{"ct_user_id":` + strings.Repeat("1", id) + `,"email":"a@b.c","access_audio":"No","aliases":["x"]}`
	}
	datas := []string{
		`{"users":[` + item(1) + `,` + item(2) + `,` + item(3) + `],"total":50}`,
		`{"users":[],"total":0}`,
		`{"users":null,"total":0}`,
		`{"Users":[` + item(1) + `],"TOTAL":1}`,
		`{"items":[` + item(1) + `, null ],"total":"2"}`,
		`{"users":{"a":1}}`,
		`{"users":[1,2]}`,
		`{"media_prompts":[` + item(2) + `],"total":1,"other":[1]}`,
		`{"total":1.5}`,
		`{"users":[` + item(1) + `,]}`,
		`[]`,
		`null`,
		`"x"`,
	}
	for _, d := range datas {
		b := []byte(`{"code":200,"data":` + d + `}`)
		var want, got listData[User]
		_, wantErr := decodeStd(b, &want)
		var env envelope
		gotErr := env.decode(b, &got, false)
		require.Equal(t, wantErr != nil, gotErr != nil, "%s: %v / %v", d, wantErr, gotErr)
		if wantErr == nil {
			assert.Equal(t, want, got, d)
			assert.Equal(t, want.items(), got.items(), d)
		}
	}
}

func TestUnmarshalAgreesWithJSONUnmarshal(t *testing.T) {
	type inner struct {
		N int    `json:"n"`
		S string `json:"s"`
	}
	inputs := []string{
		`{"n":1,"s":"a"}`, `{"n":"x"}`, `{"n":`, `{"n":1} `, ` {"n":2}`, `{"n":3} {"n":4}`, `{"n":1}x`, `null`,
		`{"s":"\u00e9"}`, `[1]`, `{"n":5,"s":"` + strings.Repeat("y", 5000) + `"}`, `{"n":6}`,
	}
	// Twice: a Decoder that saw an error must not spoil a later call.
	for range 2 {
		for _, in := range inputs {
			var want, got inner
			wantErr := json.Unmarshal([]byte(in), &want)
			gotErr := unmarshal([]byte(in), &got)
			if trimmed := strings.TrimSpace(in); !strings.HasSuffix(trimmed, "x") && !strings.HasSuffix(trimmed, `{"n":4}`) {
				// A value followed by more than white space is outside
				// unmarshal's contract (every caller hands it one value):
				// the error is json.Unmarshal's, the target may be filled.
				assert.Equal(t, want, got, in)
			}
			if wantErr == nil {
				assert.NoError(t, gotErr, in)
			} else {
				assert.EqualError(t, gotErr, wantErr.Error(), in)
			}
		}
	}
}

// scalarTextStd is scalarText as encoding/json reads a string.
func scalarTextStd(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return strings.TrimSpace(s)
		}
		return ""
	case '{', '[', 'n':
		return ""
	}
	return string(raw)
}

func TestScalarTextAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{`"Yes"`, ` " no " `, `"\u0059es"`, "\"\xffx\"", `"`, `"abc`, `12`, `true`, `null`,
		`{"a":1}`, `[1]`, ``, `""`, `"a\"b"`} {
		assert.Equal(t, scalarTextStd(json.RawMessage(in)), scalarText(json.RawMessage(in)), "%q", in)
	}
	for _, in := range []string{`"Yes"`, `"NO"`, `"y"`, `"On"`, `1`, `0`, `true`, `"maybe"`, `""`, `null`, `"\u0079es"`} {
		var b Bool
		require.NoError(t, b.UnmarshalJSON([]byte(in)))
		want, _ := parseBool(strings.ToLower(scalarTextStd(json.RawMessage(in))))
		assert.Equal(t, want, bool(b), in)
	}
}

func TestDecodeIntoNullLeavesTarget(t *testing.T) {
	u := &User{ID: 3}
	_, err := decodeInto([]byte(`null`), 0, u)
	require.NoError(t, err)
	assert.Equal(t, int64(3), u.ID)
	pp := &u
	_, err = decodeInto([]byte(` null`), 0, pp)
	require.NoError(t, err)
	assert.Nil(t, *pp, "a pointer target becomes nil, as with encoding/json")
	var se *scanError
	_, err = decodeInto([]byte(`{"a":x}`), 0, &map[string]any{})
	assert.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, 5, se.off, "the offset of the bad character")
}

func TestTolerantScalarsWithoutStrings(t *testing.T) {
	for in, want := range map[string]time.Duration{
		`"00:03:21"`: 201 * time.Second, `"03:21"`: 201 * time.Second, `"1:00:00:00"`: 0, `"3m21s"`: 201 * time.Second,
		`201`: 201 * time.Second, `"201.5"`: 201500 * time.Millisecond, `"x:1"`: 0, `":"`: 0, `null`: 0, `"\u0030:01"`: time.Second,
	} {
		var d Duration
		require.NoError(t, d.UnmarshalJSON([]byte(in)))
		assert.Equal(t, want, time.Duration(d), in)
	}
	for in, want := range map[string]time.Time{
		`1769517296`:                 time.Unix(1769517296, 0).UTC(),
		`"1769517296"`:               time.Unix(1769517296, 0).UTC(),
		`1769517296000`:              time.UnixMilli(1769517296000).UTC(),
		`"2026-01-20T12:30:00.000Z"`: time.Date(2026, 1, 20, 12, 30, 0, 0, time.UTC),
		`"soon"`:                     {},
		`null`:                       {},
	} {
		var tm Time
		require.NoError(t, tm.UnmarshalJSON([]byte(in)))
		assert.True(t, want.Equal(tm.Time), "%s: %v", in, tm.Time)
	}
}

func TestSpecialIn8(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			word := []byte("abcdefgh")
			word[pos] = byte(c)
			want := c == '"' || c == '\\' || c < 0x20
			got := specialIn8(uint64(word[0]) | uint64(word[1])<<8 | uint64(word[2])<<16 | uint64(word[3])<<24 |
				uint64(word[4])<<32 | uint64(word[5])<<40 | uint64(word[6])<<48 | uint64(word[7])<<56)
			require.Equal(t, want, got, "byte %#x at %d", c, pos)
		}
	}
}
