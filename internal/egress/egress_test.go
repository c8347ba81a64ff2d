package egress

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	allow, err := ParseAllow("10.20.0.0/16, 192.168.1.7")
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{Allow: allow}
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"203.0.113.10", true}, {"8.8.8.8", true}, {"2001:4860:4860::8888", true},
		{"127.0.0.1", false}, {"127.8.9.10", false}, {"::1", false}, {"::ffff:127.0.0.1", false},
		{"10.0.0.1", false}, {"10.20.3.4", true}, {"172.16.0.1", false}, {"172.31.255.255", false}, {"172.32.0.1", true},
		{"192.168.1.7", true}, {"192.168.1.8", false}, {"fd00::1", false},
		{"169.254.169.254", false}, {"fe80::1", false}, {"100.64.0.1", false}, {"100.127.255.254", false}, {"100.128.0.1", true},
		{"0.0.0.0", false}, {"0.1.2.3", false}, {"::", false}, {"224.0.0.1", false}, {"ff02::1", false}, {"255.255.255.255", false},
		{"::ffff:10.0.0.1", false}, {"::ffff:169.254.169.254", false},
		{"64:ff9b::a9fe:a9fe", false}, {"192.0.0.192", false}, {"198.18.0.1", false}, {"240.1.2.3", false}, {"2002:a9fe:a9fe::1", false},
		{"198.20.0.1", true},
	} {
		err := p.Check(netip.MustParseAddr(tc.addr))
		if (err == nil) != tc.ok {
			t.Errorf("Check(%s) = %v, want allowed %v", tc.addr, err, tc.ok)
		}
	}
	if err := (Policy{Loopback: true}).Check(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Errorf("loopback allowed: %v", err)
	}
	if err := (Policy{Loopback: true}).Check(netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("Loopback allowed a private address")
	}
}

func TestCheckURL(t *testing.T) {
	p := Policy{}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://bank.example/hooks", true}, {"https://203.0.113.5/h", true},
		{"https://127.0.0.1/h", false}, {"https://[::1]:8443/h", false}, {"https://localhost/h", false},
		{"https://LOCALHOST./h", false}, {"https://a.localhost/h", false}, {"https://169.254.169.254/latest/meta-data", false},
		{"https://10.1.2.3/h", false}, {"https://[::ffff:10.1.2.3]/h", false},
		{"https://user:pw@bank.example/h", false}, {"http://127.0.0.1@bank.example/h", false}, {"https://[64:ff9b::a9fe:a9fe]/", false},
	} {
		if err := p.CheckURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("CheckURL(%s) = %v, want allowed %v", tc.url, err, tc.ok)
		}
	}
}

// TestClientRefusesWhatItDials: the client checks the address it dials,
// after resolution: a name that resolves to loopback is refused like the
// literal address; allowed, the same call goes through; a redirect is not
// followed.
func TestClientRefusesWhatItDials(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, u := range []string{srv.URL, byName} {
		_, err := (Policy{}).Client(5 * time.Second).Get(u)
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("GET %s under the default policy: %v, want refused as loopback", u, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the refused calls reached the server %d times", hits)
	}
	c := Policy{Loopback: true}.Client(5 * time.Second)
	res, err := c.Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || hits != 1 {
		t.Errorf("redirect: %d after %d calls, want 302 not followed", res.StatusCode, hits)
	}
}

func TestParseAllow(t *testing.T) {
	got, err := ParseAllow(" 10.20.0.5/16 ,2001:db8::/32,192.0.2.1,")
	if err != nil || len(got) != 3 || got[0].String() != "10.20.0.0/16" || got[2].String() != "192.0.2.1/32" {
		t.Errorf("ParseAllow = %v, %v", got, err)
	}
	for _, bad := range []string{"10.20.0.0/33", "intranet", "10.20.0.0/16;10.30.0.0/16"} {
		if _, err := ParseAllow(bad); err == nil {
			t.Errorf("ParseAllow(%q) accepted", bad)
		}
	}
}

func FuzzParseAllow(f *testing.F) {
	for _, s := range []string{"10.20.0.0/16", "192.0.2.1, 2001:db8::/32", "", ",,", "::ffff:10.0.0.0/104"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseAllow(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("ParseAllow(%q) gave %v", s, p)
			}
		}
	})
}
