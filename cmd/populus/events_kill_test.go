package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/register"
)

// eventsChildEnv, when set to a data directory, makes the test binary the
// child of TestEventsSurviveSIGKILL: it opens the store as serve does, runs
// the events' dispatcher, and corrects names in a loop, printing each
// correction committed as "c PIN VERSION".
const eventsChildEnv = "POPULUS_TEST_EVENTS_CHILD"

// eventsConfigFor is serve's configuration of the store in dir with the
// master key of $POPULUS_MASTER_KEY.
func eventsConfigFor(dir string) (config, error) {
	var c config
	f := newFlags("serve", os.Getenv, io.Discard)
	f.server(&c, "json")
	return c, f.parse([]string{"--data", dir})
}

var killRegistrar = auth.Staff(1, "registrar", "Cán bộ", auth.Registrar, "VN")

// withExchange builds p's data exchange as serve does, with the master key
// of c: it decides the deliveries of change events.
func withExchange(p *platform, c config) error {
	master, err := oidc.LoadMasterKey(c.MasterKey, c.MasterKeyFile, false)
	if err != nil {
		return err
	}
	p.Master = &master
	p.Exchange, err = p.newExchange(context.Background(), c, true, nil, master)
	return err
}

func eventsChild(dir string) {
	c, err := eventsConfigFor(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p, err := open(context.Background(), c, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := withExchange(p, c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The subscriber's webhook is on this machine: the operator allows it
	// (a server outside the demo refuses loopback otherwise).
	c.EgressAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	if _, _, err := p.startEvents(context.Background(), c, false, log); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pins := strings.Fields(os.Getenv(eventsChildEnv + "_PINS"))
	fmt.Println("ready")
	for i := 0; ; i++ {
		name := [2]string{"Nguyễn Văn An", "Nguyễn Văn Bình"}[(i/len(pins))%2]
		pr, err := p.Register.Correct(context.Background(), killRegistrar, people.Correction{PIN: pins[i%len(pins)], FullName: &name,
			Meta: people.Meta{Reason: "Sai chính tả"}})
		if err != nil {
			continue // the name it already has after an earlier trial
		}
		fmt.Printf("c %s %d\n", pr.PIN, pr.Version) // committed: its outbox row with it
	}
}

// TestEventsSurviveSIGKILL: a process registering civil events and
// delivering them to a webhook is killed with SIGKILL at a random moment,
// five times, on the same store; then a dispatcher delivers what is left.
// Every event committed is in the outbox, and the subscriber, applying
// each event id once, has received every one of them.
func TestEventsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("SIGKILL trials take a few seconds: skipped under -short")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	master, _ := oidc.NewMasterKey()
	t.Setenv("POPULUS_MASTER_KEY", master.String())
	dir := t.TempDir()
	ctx := context.Background()
	c, err := eventsConfigFor(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := open(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Ten people, and a subscription to every person's name changes.
	im := register.NewImporter(p.DB)
	var pins []string
	for i := 1; i <= 10; i++ {
		prefix, _ := pin.Prefix("001", civil.Male, 1980)
		pr := people.Person{PIN: string(pin.New(prefix, i)), FullName: "Nguyễn Văn A", Sex: civil.Male, BirthDate: civil.Date{Year: 1980, Month: 1, Day: 1},
			BirthPlace: "00004", Hometown: "00004", Ethnicity: "01", Nationality: "VN", Status: people.Alive,
			Permanent: people.Address{Unit: "00004", Detail: "1 Phố Huế"}}
		if err := im.Add(ctx, nil, []people.Person{pr}); err != nil {
			t.Fatal(err)
		}
		pins = append(pins, pr.PIN)
	}
	if err := im.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	seal, _ := masterKey(c)
	keys, err := events.LoadKeys(ctx, p.DB, seal)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	applied, posts := map[string]bool{}, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(events.SignatureHeader)
		sub, _ := events.SignedFor(sig)
		if err := events.Verify(keys.Set(), sig, body, sub, time.Now(), time.Hour); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		posts++
		applied[r.Header.Get(events.IdempotencyKeyHeader)] = true // idempotent: once per id
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	// The social insurance's system, with the right to learn name changes
	// for health insurance checks.
	if err := withExchange(p, c); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exchange.AddMember(ctx, exchange.Member{ID: "VN/GOV/BHXH", Name: "Bảo hiểm xã hội Việt Nam", Unit: "VN"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exchange.AddSubsystem(ctx, "VN/GOV/BHXH/SYNC", "Đồng bộ", nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Exchange.Grant(ctx, exchange.Right{Subsystem: "VN/GOV/BHXH/SYNC", Service: exchange.PersonService, Fields: []string{"full_name"},
		Purposes: []string{"HEALTH-INSURANCE-CHECK"}}); err != nil {
		t.Fatal(err)
	}
	svc := events.New(p.DB, p.Audit, keys, events.Options{AllowHTTP: true, Authorize: exchangeDecides(p.Exchange)})
	cliP := auth.Principal{Kind: auth.KindSystem, Username: "cli"}
	if _, err := svc.Subscribe(ctx, cliP, events.SubscriptionRequest{Subscriber: "VN/GOV/BHXH/SYNC", Types: []string{"name_change"},
		WebhookURL: srv.URL, AllPeople: true, Purpose: "HEALTH-INSURANCE-CHECK"}); err != nil {
		t.Fatal(err)
	}
	p.Close()

	acked := map[string]bool{}
	for trial := 0; trial < 5; trial++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), eventsChildEnv+"="+dir, eventsChildEnv+"_PINS="+strings.Join(pins, " "))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || sc.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("trial %d: the child did not start (%q)", trial, sc.Text())
		}
		kill := time.AfterFunc(time.Duration(300+rand.IntN(700))*time.Millisecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
		n := 0
		for sc.Scan() {
			if s := sc.Text(); strings.HasPrefix(s, "c ") {
				acked[s[2:]] = true
				n++
			}
		}
		kill.Stop()
		cmd.Wait()
		mu.Lock()
		t.Logf("trial %d: %d events committed, %d delivered so far", trial, n, posts)
		mu.Unlock()
	}
	// Open again and let a dispatcher finish.
	p, err = open(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := withExchange(p, c); err != nil {
		t.Fatal(err)
	}
	svc = events.New(p.DB, p.Audit, keys, events.Options{AllowHTTP: true, Authorize: exchangeDecides(p.Exchange)})
	dis := svc.Dispatcher(events.DispatchOptions{})
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		if n, err := dis.Step(ctx); n == 0 && err == nil {
			break
		}
	}
	rows, err := p.DB.QueryContext(ctx, `SELECT event_id, pin, version FROM events_outbox`)
	if err != nil {
		t.Fatal(err)
	}
	inOutbox := map[string]string{}
	for rows.Next() {
		var id, pn string
		var v int
		rows.Scan(&id, &pn, &v)
		inOutbox[fmt.Sprintf("%s %d", pn, v)] = id
	}
	rows.Close()
	mu.Lock()
	defer mu.Unlock()
	missing, undelivered := 0, 0
	for k := range acked {
		id, ok := inOutbox[k]
		if !ok {
			missing++
			continue
		}
		if !applied[id] {
			undelivered++
		}
	}
	for _, id := range inOutbox {
		if !applied[id] {
			undelivered++
		}
	}
	t.Logf("%d events committed and acknowledged, %d in the outbox, %d applied, %d posts", len(acked), len(inOutbox), len(applied), posts)
	if len(acked) == 0 || missing > 0 || undelivered > 0 {
		t.Fatalf("%d acknowledged events missing from the outbox, %d not delivered", missing, undelivered)
	}
}
