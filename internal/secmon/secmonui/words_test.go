package secmonui

import (
	"testing"

	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/web"
)

// The details the limiter and the monitor write are said in words; any
// other is kept, marked as English on a Vietnamese page.
func TestEventDetailInWords(t *testing.T) {
	cat := i18n.MustLoad(Module(nil).Messages)
	vi := funcs(web.Locale{Lang: "vi", T: func(k string, a ...any) string { return cat.T("vi", k, a...) }})["eventDetail"].(func(string) detail)
	for _, tc := range []struct{ in, want string }{
		{"people per minute limit reached", "đạt giới hạn số người được xem trong một phút"},
		{"searches per minute limit reached", "đạt giới hạn số lượt tìm kiếm trong một phút"},
		{"people per hour limit reached", "đạt giới hạn số người được xem trong một giờ"},
	} {
		if got := vi(tc.in); got.Text != tc.want || got.English {
			t.Errorf("%q: %+v, want %q", tc.in, got, tc.want)
		}
	}
	if got := vi("a new kind of detail"); !got.English || got.Text != "a new kind of detail" {
		t.Errorf("an unknown detail: %+v", got)
	}
}
