package i18n

import (
	"encoding/json"
	"io/fs"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/populus-vn/populus/internal/civil"
)

func TestCatalogsAgree(t *testing.T) {
	c := MustLoad()
	vi, en := c.Keys(Vietnamese), c.Keys(English)
	for _, k := range vi {
		if _, ok := slices.BinarySearch(en, k); !ok {
			t.Errorf("%q is in vi.json but not in en.json", k)
		}
	}
	for _, k := range en {
		if _, ok := slices.BinarySearch(vi, k); !ok {
			t.Errorf("%q is in en.json but not in vi.json", k)
		}
	}
	// A translation takes the same arguments as the Vietnamese message.
	verb := regexp.MustCompile(`%(\[\d+\])?[a-z]`)
	for _, k := range vi {
		v, _ := c.Lookup(Vietnamese, k)
		e, _ := c.Lookup(English, k)
		if v == "" || e == "" {
			t.Errorf("%q is empty in a catalog", k)
		}
		if len(verb.FindAllString(v, -1)) != len(verb.FindAllString(e, -1)) {
			t.Errorf("%q: vi %q and en %q take different arguments", k, v, e)
		}
	}
}

func TestTFormatsAndFallsBack(t *testing.T) {
	c := MustLoad()
	if got := c.T(Vietnamese, "dashboard.greeting", "Hoa"); got != "Xin chào, Hoa" {
		t.Errorf("T = %q", got)
	}
	if got := c.T(English, "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key shows as %q", got)
	}
}

func TestNegotiate(t *testing.T) {
	c := MustLoad()
	for _, tc := range []struct{ cookie, accept, want string }{
		{"", "", Vietnamese},
		{"", "en-US,en;q=0.9", English},
		{"", "fr-FR, de;q=0.5", Vietnamese},
		{"", "fr, en;q=0.5", English},
		{"", "vi-VN, en;q=0.5", Vietnamese},
		{"en", "vi", English},
		{"vi", "en", Vietnamese},
		{"xx", "en", English},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.cookie != "" {
			r.Header.Set("Cookie", CookieName+"="+tc.cookie)
		}
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := c.Negotiate(r); got != tc.want {
			t.Errorf("cookie %q, Accept-Language %q: %s, want %s", tc.cookie, tc.accept, got, tc.want)
		}
	}
}

func TestDatesAreVietnamese(t *testing.T) {
	if got := Date(civil.Date{Year: 2003, Month: 7, Day: 5}); got != "05/07/2003" {
		t.Errorf("Date = %q", got)
	}
	if got := Date(civil.Date{Year: 2003}); got != "2003" {
		t.Errorf("partial Date = %q", got)
	}
	// 17:30 UTC is half past midnight the next day in Vietnam.
	if got := Time(time.Date(2025, 6, 30, 17, 30, 0, 0, time.UTC)); got != "00:30 01/07/2025" {
		t.Errorf("Time = %q", got)
	}
}

func TestFragmentsMerge(t *testing.T) {
	frag := func(vi, en string) fstest.MapFS {
		return fstest.MapFS{"vi.json": {Data: []byte(vi)}, "en.json": {Data: []byte(en)}}
	}
	c, err := Load(frag(`{"x.a": "Một %s"}`, `{"x.a": "One %s"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T(English, "x.a", "b"); got != "One b" {
		t.Errorf("merged message = %q", got)
	}
	if got := c.T(Vietnamese, "dashboard.greeting", "Hoa"); got != "Xin chào, Hoa" {
		t.Errorf("shell message = %q", got)
	}
	if _, err := c.With(frag(`{"x.b": "Hai"}`, `{"x.b": "Two"}`)); err != nil {
		t.Errorf("With: %v", err)
	}
	for name, bad := range map[string][]fs.FS{
		"duplicate of the shell": {frag(`{"nav.home": "x"}`, `{"nav.home": "x"}`)},
		"duplicate across":       {frag(`{"x.a": "x"}`, `{"x.a": "x"}`), frag(`{"x.a": "y"}`, `{"x.a": "y"}`)},
		"missing in en":          {frag(`{"x.a": "x", "x.b": "y"}`, `{"x.a": "x"}`)},
		"missing in vi":          {frag(`{"x.a": "x"}`, `{"x.a": "x", "x.b": "y"}`)},
		"other arguments":        {frag(`{"x.a": "%s"}`, `{"x.a": "x"}`)},
		"empty":                  {frag(`{"x.a": ""}`, `{"x.a": "x"}`)},
		"no file":                {fstest.MapFS{"vi.json": {Data: []byte(`{}`)}}},
	} {
		if _, err := Load(bad...); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// A fragment may translate reasons of its own; one that translates a reason
// the catalog already translates differently is refused.
func TestFragmentReasons(t *testing.T) {
	frag := fstest.MapFS{
		"vi.json":         {Data: []byte(`{"x.title": "Tiêu đề"}`)},
		"en.json":         {Data: []byte(`{"x.title": "Title"}`)},
		"reasons.vi.json": {Data: []byte(`{"must be a colour": "phải là một màu"}`)},
	}
	c, err := Load(frag)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ReasonFormats(Vietnamese)["must be a colour"]; got != "phải là một màu" {
		t.Errorf("the fragment's reason: %q", got)
	}
	var known string
	for k := range MustLoad().ReasonFormats(Vietnamese) {
		known = k
		break
	}
	clash := fstest.MapFS{
		"vi.json":         {Data: []byte(`{"y.title": "Tiêu đề"}`)},
		"en.json":         {Data: []byte(`{"y.title": "Title"}`)},
		"reasons.vi.json": {Data: mustJSON(t, map[string]string{known: "khác"})},
	}
	if _, err := Load(clash); err == nil || !strings.Contains(err.Error(), "translated twice") {
		t.Errorf("a second, different translation of %q was accepted", known)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestThrough(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2027, 6, 30, 17, 0, 0, 0, time.UTC):  "30/06/2027", // 01/07 00:00 in Vietnam
		time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC):  "07:00 31/12/2027",
		time.Date(2027, 12, 31, 17, 0, 0, 0, time.UTC): "31/12/2027",
	} {
		if got := Through(in); got != want {
			t.Errorf("Through(%s) = %q, want %q", in, got, want)
		}
	}
}
