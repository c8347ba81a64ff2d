package reconcile

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Published values: Winkler (1990) and the Jaro–Winkler literature's usual
// examples, to three decimals.
func TestJaroWinklerPublished(t *testing.T) {
	cases := []struct {
		a, b    string
		jaro, w float64
	}{
		{"MARTHA", "MARHTA", 0.944, 0.961},
		{"DWAYNE", "DUANE", 0.822, 0.840},
		{"DIXON", "DICKSONX", 0.767, 0.813},
		{"JELLYFISH", "SMELLYFISH", 0.896, 0.896},
		{"CRATE", "TRACE", 0.733, 0.733},
		{"SHACKLEFORD", "SHACKELFORD", 0.970, 0.982},
		{"ABC", "ABC", 1, 1},
		{"ABC", "XYZ", 0, 0},
		{"", "", 1, 1},
		{"A", "", 0, 0},
	}
	for _, c := range cases {
		for _, swap := range []bool{false, true} {
			a, b := c.a, c.b
			if swap {
				a, b = b, a
			}
			if got := Jaro(a, b); math.Abs(got-c.jaro) > 0.0005 {
				t.Errorf("Jaro(%q, %q) = %.4f, want %.3f", a, b, got, c.jaro)
			}
			if got := JaroWinkler(a, b); math.Abs(got-c.w) > 0.0005 {
				t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.3f", a, b, got, c.w)
			}
		}
	}
}

// Comparators count characters, not bytes: "ễ" is one character that
// differs from "ê", not three bytes of which two agree.
func TestComparatorsUTF8(t *testing.T) {
	// 6 characters, 5 matching, common prefix "Nguy": Jaro (5/6+5/6+1)/3.
	j := (5.0/6 + 5.0/6 + 1) / 3
	if got, want := JaroWinkler("Nguyễn", "Nguyên"), j+4*0.1*(1-j); math.Abs(got-want) > 1e-12 {
		t.Errorf("JaroWinkler(Nguyễn, Nguyên) = %v, want %v", got, want)
	}
	if got := JaroWinkler("é", "e"); got != 0 {
		t.Errorf("JaroWinkler(é, e) = %v, want 0", got)
	}
	if got := DamerauLevenshtein("Nguyễn", "Nguyên"); got != 1 {
		t.Errorf("DamerauLevenshtein(Nguyễn, Nguyên) = %d, want 1", got)
	}
	if got := DamerauLevenshtein("Đức", "Dức"); got != 1 {
		t.Errorf("DamerauLevenshtein(Đức, Dức) = %d, want 1", got)
	}
	if !DLWithin("Hồng", "Hồgn", 1) || DLWithin("Hồng", "Hông", 0) {
		t.Error("DLWithin on Vietnamese letters")
	}
}

func TestDamerauLevenshteinKnown(t *testing.T) {
	cases := []struct {
		a, b string
		d    int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"ab", "ba", 1},
		{"CA", "ABC", 3}, // 2 for unrestricted Damerau–Levenshtein
		{"abcdef", "abcfed", 2},
		{"nguyen van an", "nguyen van anh", 1},
		{"nguyen van an", "ngyuen van an", 1},
		{"tran duc minh", "minh tran duc", 10},
		{"079085001234", "079085001243", 1},
	}
	for _, c := range cases {
		if got := DamerauLevenshtein(c.a, c.b); got != c.d {
			t.Errorf("DamerauLevenshtein(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
		if got := DamerauLevenshtein(c.b, c.a); got != c.d {
			t.Errorf("DamerauLevenshtein(%q, %q) = %d, want %d", c.b, c.a, got, c.d)
		}
	}
}

// osaReference is the textbook full-table optimal string alignment, to check
// the trimmed, bounded and linear versions against.
func osaReference(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

func randomWord(r *rand.Rand, alphabet []rune, maxLen int) string {
	var sb strings.Builder
	for range r.IntN(maxLen + 1) {
		sb.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return sb.String()
}

// mutate applies up to two random typing errors, so that near strings,
// where the bounds matter, are common.
func mutate(r *rand.Rand, s string, alphabet []rune) string {
	x := []rune(s)
	for range r.IntN(3) {
		i := r.IntN(len(x) + 1)
		switch r.IntN(4) {
		case 0:
			x = append(x[:i], append([]rune{alphabet[r.IntN(len(alphabet))]}, x[i:]...)...)
		case 1:
			if i < len(x) {
				x = append(x[:i], x[i+1:]...)
			}
		case 2:
			if i < len(x) {
				x[i] = alphabet[r.IntN(len(alphabet))]
			}
		case 3:
			if i+1 < len(x) {
				x[i], x[i+1] = x[i+1], x[i]
			}
		}
	}
	return string(x)
}

func TestDamerauLevenshteinAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ascii, viet := []rune("abcd "), []rune("aăâeêđd ễ")
	for n := range 20000 {
		alphabet := ascii
		if n%2 == 1 {
			alphabet = viet
		}
		maxLen := 8
		if n%100 == 0 {
			maxLen = 90 // past the stack buffers
		}
		a := randomWord(r, alphabet, maxLen)
		b := mutate(r, a, alphabet)
		if n%3 == 0 {
			b = randomWord(r, alphabet, maxLen)
		}
		want := osaReference(a, b)
		if got := DamerauLevenshtein(a, b); got != want {
			t.Fatalf("DamerauLevenshtein(%q, %q) = %d, want %d", a, b, got, want)
		}
		for k := range 4 {
			if got := DLWithin(a, b, k); got != (want <= k) {
				t.Fatalf("DLWithin(%q, %q, %d) = %v, distance is %d", a, b, k, got, want)
			}
		}
		if DLWithin(a, b, -1) {
			t.Fatalf("DLWithin(%q, %q, -1) is true", a, b)
		}
	}
}

func TestJaroProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []rune("nguyevatđêễ ")
	for range 5000 {
		a := randomWord(r, alphabet, 20)
		b := mutate(r, a, alphabet)
		j, w := JaroWinkler(a, b), JaroWinkler(b, a)
		if j != w {
			t.Fatalf("JaroWinkler not symmetric on %q, %q: %v vs %v", a, b, j, w)
		}
		if j < 0 || j > 1 || j < Jaro(a, b) {
			t.Fatalf("JaroWinkler(%q, %q) = %v out of range (Jaro %v)", a, b, j, Jaro(a, b))
		}
		if JaroWinkler(a, a) != 1 {
			t.Fatalf("JaroWinkler(%q, itself) = %v", a, JaroWinkler(a, a))
		}
	}
	long := strings.Repeat("nguyen van an ", 10)
	if got := JaroWinkler(long, long+"h"); got < 0.99 {
		t.Errorf("JaroWinkler on 140-character strings = %v", got)
	}
}

func TestComparatorsDoNotAllocate(t *testing.T) {
	pairs := [][2]string{
		{"nguyen thi ngoc bich", "nguyen thi ngoc bick"},
		{"Nguyễn Thị Ngọc Bích", "Nguyễn Thị Ngọc Bich"},
		{strings.Repeat("a", stackLen), strings.Repeat("b", stackLen)},
	}
	for _, p := range pairs {
		n := testing.AllocsPerRun(100, func() {
			_ = JaroWinkler(p[0], p[1])
			_ = DamerauLevenshtein(p[0], p[1])
			_ = DLWithin(p[0], p[1], 1)
			_ = DLWithin(p[0], p[1], 2)
		})
		if n != 0 {
			t.Errorf("comparing %q and %q allocates %v times", p[0], p[1], n)
		}
	}
}

// The bit-parallel Jaro must agree exactly with the scanning one.
func TestJaroBitsMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []rune("nguyenvathiducminh 0123-'.")
	for n := range 20000 {
		maxLen := 24
		if n%10 == 0 {
			maxLen = 70 // past 64 bytes: jaroBits declines
		}
		a := randomWord(r, alphabet, maxLen)
		b := mutate(r, a, alphabet)
		if n%3 == 0 {
			b = randomWord(r, alphabet, maxLen)
		}
		want := jaro([]byte(a), []byte(b))
		got, ok := jaroBits(a, b)
		if ok != (len(a) > 0 && len(b) > 0 && len(a) <= 64 && len(b) <= 64) {
			t.Fatalf("jaroBits(%q, %q) ok = %v", a, b, ok)
		}
		if ok && got != want {
			t.Fatalf("jaroBits(%q, %q) = %v, scanning gives %v", a, b, got, want)
		}
	}
	if _, ok := jaroBits("Nguyễn", "nguyen"); ok {
		t.Error("jaroBits took non-ASCII")
	}
	if _, ok := jaroBits("A", "a"); ok {
		t.Error("jaroBits took upper case")
	}
}

// TestLevenshteinBits checks the bit-parallel Levenshtein distance against
// the textbook table on random strings of the letters names are made of,
// lengths 1 to 64, and that it declines what it cannot compute.
func TestLevenshteinBits(t *testing.T) {
	lev := func(a, b string) int {
		prev := make([]int, len(b)+1)
		for j := range prev {
			prev[j] = j
		}
		for i := 1; i <= len(a); i++ {
			cur := make([]int, len(b)+1)
			cur[0] = i
			for j := 1; j <= len(b); j++ {
				cost := 1
				if a[i-1] == b[j-1] {
					cost = 0
				}
				cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			}
			prev = cur
		}
		return prev[len(b)]
	}
	rng := rand.New(rand.NewPCG(7, 7))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "anghiount "[rng.IntN(10)]
		}
		return string(b)
	}
	for range 5000 {
		a, b := word(1+rng.IntN(64)), word(rng.IntN(70))
		if got, ok := levenshteinBits(a, b); !ok || got != lev(a, b) {
			t.Fatalf("levenshteinBits(%q, %q) = %d, %v; want %d", a, b, got, ok, lev(a, b))
		}
	}
	for _, c := range [][2]string{{"", "an"}, {"nguyễn", "nguyen"}, {string(make([]byte, 65)), "a"}} {
		if _, ok := levenshteinBits(c[0], c[1]); ok {
			t.Errorf("levenshteinBits(%q, %q) computed; want declined", c[0], c[1])
		}
	}
}
