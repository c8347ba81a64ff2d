package webtest

import "testing"

func TestUntranslated(t *testing.T) {
	for _, tc := range []struct {
		page string
		bad  bool
	}{
		{`<p>Không tìm thấy hồ sơ.</p>`, false},
		{`<p>Chi tiết: no household is within the reach of an account</p>`, true},
		{`<p class="hint">A field is not valid</p>`, true},
		{`<td>staff:registrar.badinh</td>`, true},
		{`<td>person.read</td>`, true},
		{`<td><span class="mono">registrar.badinh</span></td>`, false},
		{`<td><span lang="en">the record was kept as written</span></td>`, false},
		{`<script>if (this.value) {}</script><p>Xin chào</p>`, false},
		{`<p>Ngày sinh: 12/05/1990 &amp; nơi sinh</p>`, false},
	} {
		if got := Untranslated(tc.page); (len(got) > 0) != tc.bad {
			t.Errorf("Untranslated(%q) = %q, want bad %v", tc.page, got, tc.bad)
		}
	}
}
