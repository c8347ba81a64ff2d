// Package egress guards the calls Populus makes on behalf of others: the
// webhooks a member subscribes (internal/events) and the member services
// the exchange forwards to (internal/exchange). Without it a member could
// have Populus post to its own loopback services, to the cloud metadata
// address or to any system of the government network behind it (server-side
// request forgery).
//
// A Policy refuses loopback, private (RFC 1918, unique local), link-local
// (169.254.0.0/16, the metadata address among them), shared (100.64.0.0/10),
// unspecified, multicast and "this network" addresses, unless the operator
// names the networks where member systems live (--egress-allow); public
// addresses are allowed. The check is made on the address actually dialled
// (net.Dialer's Control), after name resolution, so a name that resolves to a
// refused address, or changes its answer between a check and the call (DNS
// rebinding), is refused too; CheckURL also refuses a refused literal address
// when a URL is registered, so that the mistake is seen at once.
package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Policy says which addresses outbound calls may reach.
type Policy struct {
	// Allow are networks reachable although refused by default (the
	// government network where members' systems live, e.g. 10.20.0.0/16).
	Allow []netip.Prefix
	// Loopback allows loopback addresses (the demo and tests, whose
	// members run on this machine).
	Loopback bool
}

var (
	shared      = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	broadcast   = netip.MustParseAddr("255.255.255.255")
	// special are the other networks of the IANA special-purpose
	// registries that reach no member's system on the Internet: protocol
	// assignments (192.0.0.0/24, where some clouds keep metadata), the
	// benchmarking range, the reserved 240.0.0.0/4, and the translations
	// that lead back to IPv4 (NAT64, 6to4, Teredo), which would reach what
	// the IPv4 rules refuse.
	special = []netip.Prefix{
		netip.MustParsePrefix("192.0.0.0/24"), netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("240.0.0.0/4"),
		netip.MustParsePrefix("64:ff9b::/96"), netip.MustParsePrefix("64:ff9b:1::/48"), netip.MustParsePrefix("2002::/16"),
		netip.MustParsePrefix("2001::/32"),
	}
)

// Check returns nil when a may be reached, or an error saying why not.
func (p Policy) Check(a netip.Addr) error {
	a = a.Unmap()
	for _, n := range p.Allow {
		if n.Contains(a) {
			return nil
		}
	}
	why := ""
	switch {
	case !a.IsValid():
		why = "not an address"
	case a.IsLoopback():
		if p.Loopback {
			return nil
		}
		why = "a loopback address"
	case a.IsUnspecified() || thisNetwork.Contains(a):
		why = `a "this network" address`
	case a.IsPrivate():
		why = "a private address"
	case a.IsLinkLocalUnicast():
		why = "a link-local address"
	case shared.Contains(a):
		why = "a shared (carrier-grade NAT) address"
	case a.IsMulticast() || a == broadcast:
		why = "a multicast or broadcast address"
	case slices.ContainsFunc(special, func(n netip.Prefix) bool { return n.Contains(a) }):
		why = "a special-purpose address"
	default:
		return nil
	}
	return fmt.Errorf("%s is %s, which calls made for members may not reach (an operator allows networks with --egress-allow)", a, why)
}

// CheckURL refuses a URL whose host is a literal address the policy
// refuses, or a name that can only be this machine ("localhost"). Other
// names are checked when they are dialled.
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.User != nil {
		return errors.New("a URL with a user name or password is not taken: it hides the host it goes to")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		return p.Check(a)
	}
	if (host == "localhost" || strings.HasSuffix(host, ".localhost")) && !p.Loopback {
		return fmt.Errorf("%s is this machine, which calls made for members may not reach", host)
	}
	return nil
}

// Dialer returns a dialer that refuses the addresses the policy refuses.
func (p Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("egress: %q: %w", address, err)
			}
			return p.Check(ap.Addr())
		}}
}

// Client returns an HTTP client for calls made for members: its dialer
// checks every address, no proxy from the environment is used (a proxy
// would dial in Populus's stead), redirects are not followed (the answer
// of the address called is the answer), and the whole call takes at most
// timeout.
func (p Policy) Client(timeout time.Duration) *http.Client {
	d := p.Dialer(10 * time.Second)
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ParseAllow reads --egress-allow: comma-separated networks (CIDR) or
// single addresses.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if pr, err := netip.ParsePrefix(f); err == nil {
			out = append(out, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a network (10.20.0.0/16) nor an address", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
