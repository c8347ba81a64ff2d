package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
)

// eventsConfig is the configuration of change subscriptions' delivery.
type eventsConfig struct {
	// NATS is the URL of an external NATS cluster (comma-separated
	// servers); empty: the demo embeds one, serve publishes to none.
	NATS         string
	NATSReplicas int
	// Dispatch off: this process writes the outbox but delivers nothing
	// (another process does).
	NoDispatch bool
}

// eventsFlags adds the flags of change subscriptions.
func (f *flags) eventsFlags(c *eventsConfig) {
	f.string(&c.NATS, "nats", "POPULUS_NATS", "", "NATS server URL(s), comma-separated, of the JetStream cluster change events are published to (stream "+events.StreamName+"); empty: demo embeds a server in --data/nats, serve publishes to none")
	f.int(&c.NATSReplicas, "nats-replicas", "POPULUS_NATS_REPLICAS", 1, "replicas of the events stream on the NATS cluster (3 on a cluster of three)")
	f.bool(&c.NoDispatch, "events-no-dispatch", "POPULUS_EVENTS_NO_DISPATCH", false, "write change events to the outbox but deliver none from this process (another delivers)")
}

// masterKey is the master key serve uses, or nil when it has none.
func masterKey(c config) (events.Sealer, error) {
	file := c.MasterKeyFile
	if file == "" && c.Outbox {
		file = filepath.Join(c.Data, "master.key")
	}
	if c.MasterKey == "" && file == "" {
		return nil, nil
	}
	m, err := oidc.LoadMasterKey(c.MasterKey, file, c.Outbox)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// exchangeDecides is the data exchange's decision of change events
// (events.Options.Authorize): the subscriber's access to the person
// look-up's fields for the purpose (its standing, its right, then each
// event's field and the person's consent), as a look-up is decided.
func exchangeDecides(x *exchange.Exchange) func(ctx context.Context, subscriber, purpose string) (events.Grant, error) {
	return func(ctx context.Context, subscriber, purpose string) (events.Grant, error) {
		a, err := x.Access(ctx, subscriber, exchange.PersonService, purpose)
		if err != nil {
			return nil, err
		}
		return a, nil
	}
}

// startEvents builds the change subscriptions' service, connects to NATS
// (or, for the demo, starts an embedded server in --data/nats) and runs
// the dispatcher until ctx ends; stop waits for it and closes the rest.
//
// Deliveries and new subscriptions are decided by p.Exchange (with its
// consent check), which must be complete when it is called: serve builds
// the exchange and wires the consents first. Without an exchange (no
// master key) nothing decides them, and the dispatcher is not started:
// events stay in the outbox, each subscription's cursor where it was,
// until a server with the exchange delivers them.
func (p *platform) startEvents(ctx context.Context, c config, demo bool, log *slog.Logger) (*events.Service, func(), error) {
	seal, err := masterKey(c)
	if err != nil {
		return nil, nil, err
	}
	if seal == nil {
		log.Warn("webhook signing key kept in memory only: no master key ($POPULUS_MASTER_KEY or --master-key-file); subscribers must fetch /api/v1/events/keys after each restart")
	}
	keys, err := events.LoadKeys(ctx, p.DB, seal)
	if err != nil {
		return nil, nil, err
	}
	var closers []func()
	stop := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	url := c.Events.NATS
	if url == "" && demo {
		ns, err := events.StartEmbedded(events.EmbeddedOptions{Dir: filepath.Join(c.Data, "nats")})
		if err != nil {
			return nil, nil, fmt.Errorf("embedded nats: %w", err)
		}
		closers = append(closers, ns.Stop)
		url = ns.ClientURL()
		log.Info("events: embedded NATS server (JetStream)", "url", url, "stream", events.StreamName)
	}
	var bus *events.Bus
	if url != "" {
		if bus, err = events.ConnectBus(ctx, url, events.BusOptions{Replicas: c.Events.NATSReplicas}); err != nil {
			stop()
			return nil, nil, err
		}
		closers = append(closers, bus.Close)
	}
	o := events.Options{NATS: bus != nil, AllowHTTP: demo, Egress: c.egressPolicy(demo)}
	if p.Exchange != nil {
		o.Authorize = exchangeDecides(p.Exchange)
	}
	svc := events.New(p.DB, p.Audit, keys, o)
	switch {
	case c.Events.NoDispatch:
	case o.Authorize == nil:
		log.Warn("change events are not delivered: no data exchange decides them (no master key); they wait in the outbox")
	default:
		dctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); svc.Dispatcher(events.DispatchOptions{Bus: bus, Logger: log}).Run(dctx) }()
		closers = append(closers, func() { cancel(); wg.Wait() })
	}
	return svc, stop, nil
}

// noMemberGuard refuses every member route (401) where no capability
// authenticates the member systems of the data-exchange platform.
func noMemberGuard(next http.Handler, fail httpx.ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(w, r, problem.New(problem.Unauthorized, "this server authenticates no member system of the data-exchange platform"))
	})
}

// runEvents manages change subscriptions from the command line, as the
// platform (system:cli): for any subscriber, for every person included.
func runEvents(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: populus events list|subscribe|watch|unwatch|resume|unsubscribe [--data DIR | --db URL] …")
		fmt.Fprintln(w, "  list         list the subscriptions and the state of their deliveries")
		fmt.Fprintln(w, "  subscribe    subscribe a member system (flags: --subscriber --types --webhook --nats --all --purpose --legal-basis)")
		fmt.Fprintln(w, "  watch        add the PINs of a file (one a line; - for standard input) to a subscription's watch list (arguments: ID FILE)")
		fmt.Fprintln(w, "  unwatch      remove them (arguments: ID FILE)")
		fmt.Fprintln(w, "  resume       resume a dead-lettered subscription from where it stopped (argument: ID)")
		fmt.Fprintln(w, "  unsubscribe  delete a subscription (argument: ID)")
	}
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	sub := args[0]
	subs := []string{"list", "subscribe", "watch", "unwatch", "resume", "unsubscribe"}
	switch {
	case sub == "-h" || sub == "-help" || sub == "--help" || sub == "help":
		usage(stdout)
		return nil
	case strings.HasPrefix(sub, "-"):
		return fmt.Errorf("events: unknown flag %s before the subcommand (%s). Run 'populus events --help'.", sub, strings.Join(subs, ", "))
	case !slices.Contains(subs, sub):
		return unknownSubcommand("events", sub, subs)
	}
	var c config
	f := newFlags("events "+sub, env, stdout)
	f.summary = map[string]string{
		"list":        "Lists the change subscriptions and the state of their deliveries.",
		"subscribe":   "Subscribes a member system to change events (birth, death, name_change, residence_move).",
		"watch":       "Adds the PINs of FILE (one a line; - for standard input) to a subscription's watch list.",
		"unwatch":     "Removes the PINs of FILE from a subscription's watch list.",
		"resume":      "Resumes a dead-lettered subscription from where it stopped.",
		"unsubscribe": "Deletes a subscription, its watch list and its delivery state.",
	}[sub]
	f.store(&c)
	if sub == "subscribe" {
		f.egress(&c)
	}
	switch sub {
	case "watch", "unwatch":
		f.args, f.argsUsage = 2, " ID FILE"
	case "resume", "unsubscribe":
		f.args, f.argsUsage = 1, " ID"
	}
	var in events.SubscriptionRequest
	var types string
	if sub == "subscribe" {
		f.fs.StringVar(&in.Subscriber, "subscriber", "", "the member's subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM (e.g. VN/COM/VCB/EKYC)")
		f.fs.StringVar(&types, "types", "birth,death,name_change,residence_move", "comma-separated event types")
		f.fs.StringVar(&in.WebhookURL, "webhook", "", "HTTPS URL the signed events are posted to")
		f.fs.BoolVar(&in.NATS, "nats", false, "publish to NATS JetStream (subject "+events.SubjectPrefix+"<subscriber>.<type>)")
		f.fs.BoolVar(&in.AllPeople, "all", false, "every person (a subscriber whose rights cover the nation); otherwise its watch list")
		f.fs.StringVar(&in.Purpose, "purpose", "", "the purpose code of the access (e.g. KYC)")
		f.fs.StringVar(&in.LegalBasis, "legal-basis", "", "the legal basis of the access: one of the purpose's in the exchange's catalogue (default: the purpose's one, where it has one)")
	}
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	in.Types = splitList(types)
	var id int64
	if f.args > 0 {
		var err error
		if id, err = strconv.ParseInt(f.rest[0], 10, 64); err != nil || id <= 0 {
			return fmt.Errorf("events %s: %q is not a subscription id", sub, f.rest[0])
		}
	}
	p, err := open(ctx, c, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	// Keys are not needed to manage subscriptions, only to deliver them. A
	// subscription is checked against the subscriber's rights on the data
	// exchange (its catalogue needs no master key).
	x := exchange.New(exchange.Options{DB: p.DB, Audit: p.Audit, Guard: p.Guard})
	if err := x.EnsureCatalogue(ctx); err != nil {
		return err
	}
	// The command line may subscribe webhooks over plain HTTP and on this
	// machine; private networks only where --egress-allow names them.
	svc := events.New(p.DB, p.Audit, nil, events.Options{NATS: true, AllowHTTP: true, Authorize: exchangeDecides(x), Egress: c.egressPolicy(true)})
	pr := auth.Principal{Kind: auth.KindSystem, Username: "cli"}
	switch sub {
	case "list":
		list, err := svc.List(ctx, pr)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(stdout, "No subscriptions. A member system subscribes with 'populus events subscribe' or POST /api/v1/events/subscriptions.")
		}
		for _, s := range list {
			fmt.Fprintf(stdout, "%d  %-22s %-40s all=%v watched=%d purpose=%s\n", s.ID, s.Subscriber, joinTypes(s.Types), s.AllPeople, s.Watched, s.Purpose)
			for _, d := range s.Deliveries {
				target := s.WebhookURL
				if d.Channel == events.NATS {
					target = d.Subject
				}
				fmt.Fprintf(stdout, "    %-7s %-6s delivered=%d attempts=%d %s", d.Channel, d.State, d.Delivered, d.Attempts, target)
				if d.LastError != "" {
					fmt.Fprintf(stdout, "  last error: %s", d.LastError)
				}
				fmt.Fprintln(stdout)
			}
		}
	case "subscribe":
		s, err := svc.Subscribe(ctx, pr, in)
		if err != nil {
			return cliError(err, eventsFlags)
		}
		fmt.Fprintf(stdout, "subscription %d: %s to %s\n", s.ID, s.Subscriber, joinTypes(s.Types))
	case "watch", "unwatch":
		var r io.Reader = stdin
		if name := f.rest[1]; name != "-" {
			file, err := os.Open(name)
			if err != nil {
				return err
			}
			defer file.Close()
			r = file
		}
		res, err := svc.Watch(ctx, pr, id, r, sub == "unwatch")
		if err != nil {
			return cliError(err, eventsFlags)
		}
		fmt.Fprintf(stdout, "subscription %d: %d PINs read, %d changed, %d watched\n", id, res.Read, res.Changed, res.Watched)
	case "resume":
		if _, err := svc.Resume(ctx, pr, id); err != nil {
			return cliError(err, eventsFlags)
		}
		fmt.Fprintf(stdout, "subscription %d: resumed\n", id)
	case "unsubscribe":
		if err := svc.Unsubscribe(ctx, pr, id); err != nil {
			return cliError(err, eventsFlags)
		}
		fmt.Fprintf(stdout, "subscription %d: deleted\n", id)
	}
	return nil
}

func joinTypes(ts []events.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

// eventsFlags are the flags (or arguments) the fields of a subscription's
// problems come from.
var eventsFlags = map[string]string{"types": "--types", "webhook_url": "--webhook", "nats": "--nats", "all_people": "--all",
	"purpose": "--purpose", "legal_basis": "--legal-basis", "subscriber": "--subscriber", "body": "FILE"}
