package events_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/events"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestClusterLosesNothingWhenANodeDies: a cluster of three embedded
// JetStream servers holds the stream with three replicas; the dispatcher
// publishes events, one server is killed, more events happen and are
// published; a subscriber reading from the two left gets every event.
func TestClusterLosesNothingWhenANodeDies(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-node cluster takes seconds to elect its leaders: skipped under -short")
	}
	var client, route [3]int
	for i := range 3 {
		client[i], route[i] = freePort(t), freePort(t)
	}
	var nodes [3]*events.Embedded
	var urls []string
	for i := range 3 {
		var routes []string
		for j := range 3 {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[j]))
			}
		}
		n, err := events.StartEmbedded(events.EmbeddedOptions{Dir: t.TempDir(), Port: client[i], Name: fmt.Sprintf("n%d", i),
			Cluster: "populus-test", ClusterPort: route[i], Routes: routes})
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = n
		t.Cleanup(n.Stop)
		urls = append(urls, n.ClientURL())
	}
	all := strings.Join(urls, ",")
	ctx := context.Background()
	var bus *events.Bus
	var err error
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if bus, err = events.ConnectBus(ctx, all, events.BusOptions{Replicas: 3}); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("stream on the cluster: %v", err)
	}
	t.Cleanup(bus.Close)

	d := dbtest.SQLite(t, schemas...)
	e := newEnv(t, d, events.Options{NATS: true})
	pins := e.people(6, civil.Male)
	sub := e.watchAll("", true, pins)
	dis := e.svc.Dispatcher(events.DispatchOptions{Bus: bus, BaseDelay: 100 * time.Millisecond, MaxDelay: 500 * time.Millisecond})
	e.die(pins[0])
	e.rename(pins[1], "Hoàng Văn Một")
	e.drain(dis, 10*time.Second)
	// Kill the server the dispatcher is connected to, or another.
	nodes[0].Stop()
	e.move(pins[2], "1 Đinh Tiên Hoàng")
	e.die(pins[3])
	e.rename(pins[4], "Hoàng Văn Hai")
	e.move(pins[5], "2 Đinh Tiên Hoàng")
	want := e.eventIDs(pins)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		dis.Step(ctx)
		s, _ := e.svc.Get(ctx, bank, sub.ID)
		if s.Deliveries[0].Delivered >= int64(len(want)) {
			break
		}
	}
	if got := consume(t, strings.Join(urls[1:], ","), "bank", want); !slices.Equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
}
