package events

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

// A failed delivery's reason, as the member reads it, names the kind of
// failure, not the platform's network: no address, no resolver, no port.
func TestPublicReason(t *testing.T) {
	for _, c := range []struct {
		channel string
		err     error
		want    string
	}{
		{"webhook", errors.New("webhook answered 503 Service Unavailable"), "webhook answered 503"},
		{"webhook", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}, "could not be reached"},
		{"webhook", fmt.Errorf("post: %w", &net.DNSError{Err: "no such host", Name: "x.invalid", Server: "10.255.255.53:53"}), "could not be resolved"},
		{"webhook", fmt.Errorf("post: %w", context.DeadlineExceeded), "in time"},
		{"webhook", errors.New("10.0.0.1 is a private address, which calls made for members may not reach"), "egress policy"},
		{"webhook", errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"), "TLS"},
		{"nats", errors.New("nats: no responders available for request 10.1.2.3:4222"), "NATS"},
	} {
		got := publicReason(c.channel, c.err)
		if !strings.Contains(got, c.want) || strings.Contains(got, "10.") || strings.Contains(got, ":53") {
			t.Errorf("%v: %q, want %q in it", c.err, got, c.want)
		}
	}
}
