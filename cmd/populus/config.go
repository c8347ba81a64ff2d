package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/egress"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/observe"
	"github.com/populus-vn/populus/internal/secmon"
)

// config is what every command that opens the store shares.
type config struct {
	Addr          string
	Data          string
	DB            string
	LogFormat     string
	LogLevel      string
	SecureCookies bool
	AuditMode     string
	AuditFsync    bool
	AuditStrict   bool
	DebugAddr     string
	// GCPercent is the garbage collector's target (--gc-percent).
	GCPercent int
	// AllowDemoAccounts lets serve start while an account still has the
	// published demo password; demo always does.
	AllowDemoAccounts bool
	// Reads are the per-account limits on reads of people, Alerts when an
	// account's reads raise an alert (internal/secmon); zero outside serve.
	Reads       secmon.Limits
	Alerts      secmon.Outliers
	MetricsAddr string
	// MayCreate lets open create the data directory and an empty store:
	// set by the commands that make stores (serve, demo, migrate, seed,
	// staff create), left false by those that only read one.
	MayCreate bool
	// SMSGatewayURL and SMSGatewayToken are where the identity's one-time
	// codes are sent; Outbox keeps them in the store instead (the demo).
	SMSGatewayURL, SMSGatewayToken string
	Outbox                         bool
	// PublicURL is the site's URL as browsers reach it (the OpenID
	// provider's issuer is it and /oidc); MasterKey and MasterKeyFile
	// give the key that seals the provider's signing keys.
	PublicURL, MasterKey, MasterKeyFile string
	// Events is the change subscriptions' delivery (events.go).
	Events eventsConfig
	// ExchangeAddr is the data exchange's mutual-TLS listener; empty: none
	// (tokens still work on --addr).
	ExchangeAddr string
	// EgressAllow are the networks (--egress-allow) that webhooks and
	// member services may reach although private (package egress).
	EgressAllow []netip.Prefix
	// ExchangeRequestsPerMinute and ExchangeBatchRowsPerMinute are each
	// member subsystem's limits on the exchange (0: no limit).
	ExchangeRequestsPerMinute, ExchangeBatchRowsPerMinute int
}

// flagSet returns a flag set whose flags default to POPULUS_* variables, and
// whose --help names them.
type flags struct {
	fs  *flag.FlagSet
	env func(string) string
	out io.Writer // where --help writes (standard output: asked for)
	// summary says in a sentence what the command does, for --help;
	// argsUsage names its arguments after the flags (" USERNAME").
	summary, argsUsage string
	// envNotes are the environment variables the command reads that are
	// no flag's, one line each, for --help.
	envNotes []string
	// args is the number of arguments the command takes besides its
	// flags; parse puts them in rest.
	args int
	rest []string
	// envErr is a POPULUS_* variable that could not be read, reported
	// by parse unless its flag is given.
	envErr error
}

func newFlags(name string, env func(string) string, stdout io.Writer) *flags {
	fs := flag.NewFlagSet("populus "+name, flag.ContinueOnError)
	// The flag package's own messages (its error and the whole usage) are
	// replaced by parse's: one line, or the help when asked.
	fs.SetOutput(io.Discard)
	f := &flags{fs: fs, env: env, out: stdout}
	fs.Usage = func() {}
	return f
}

func (f *flags) string(p *string, name, envName, def, usage string) {
	if v := f.env(envName); v != "" {
		def = v
	}
	f.fs.StringVar(p, name, def, usage+" ($"+envName+")")
}

func (f *flags) int(p *int, name, envName string, def int, usage string) {
	if v := f.env(envName); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			def = n
		}
	}
	f.fs.IntVar(p, name, def, usage+" ($"+envName+")")
}

func (f *flags) float(p *float64, name, envName string, def float64, usage string) {
	if v := f.env(envName); v != "" {
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			def = x
		}
	}
	f.fs.Float64Var(p, name, def, usage+" ($"+envName+")")
}

func (f *flags) bool(p *bool, name, envName string, def bool, usage string) {
	if v := f.env(envName); v != "" {
		def = v == "1" || strings.EqualFold(v, "true")
	}
	f.fs.BoolVar(p, name, def, usage+" ($"+envName+")")
}

// store adds the flags that choose the store.
func (f *flags) store(c *config) {
	f.string(&c.Data, "data", "POPULUS_DATA", "./populus-data", "data directory for the embedded SQLite store")
	f.string(&c.DB, "db", "POPULUS_DB", "", "PostgreSQL URL (postgres://user@host/db); empty for embedded SQLite in --data")
}

// server adds the flags of a running server.
func (f *flags) server(c *config, logFormat string) {
	f.store(c)
	f.string(&c.Addr, "addr", "POPULUS_ADDR", "127.0.0.1:8080", "address to listen on")
	f.string(&c.LogFormat, "log-format", "POPULUS_LOG_FORMAT", logFormat, "log format: json or text")
	f.string(&c.LogLevel, "log-level", "POPULUS_LOG_LEVEL", "info", "log level: debug, info, warn or error (requests are logged at info when they fail or are slow, all at debug)")
	f.bool(&c.SecureCookies, "secure-cookies", "POPULUS_SECURE_COOKIES", false, "the deployment is served over HTTPS by a TLS proxy in front: mark cookies Secure and send Strict-Transport-Security on every response")
	f.string(&c.AuditMode, "audit-mode", "POPULUS_AUDIT_MODE", "strict", "strict: answer an access only once its audit entry is committed (group commit); buffered: once it is queued, committed within 20 ms, lost if the process is killed")
	f.bool(&c.AuditFsync, "audit-fsync", "POPULUS_AUDIT_FSYNC", false, "strict on SQLite: also fsync the audit journal before answering, so that an acknowledged entry survives a power loss, not only a killed process")
	f.bool(&c.AuditStrict, "audit-strict", "POPULUS_AUDIT_STRICT", false, "deprecated: strict is the default (--audit-mode)")
	f.bool(&c.AllowDemoAccounts, "allow-demo-accounts", "POPULUS_ALLOW_DEMO_ACCOUNTS", false, "start even while an account still has the published demo password (demonstrations only; demo always allows it)")
	f.readLimits(c)
	f.string(&c.SMSGatewayURL, "sms-gateway-url", "POPULUS_SMS_GATEWAY_URL", "", "HTTP gateway the electronic identity's one-time codes are posted to as JSON {to, text}, with the bearer token $POPULUS_SMS_GATEWAY_TOKEN; none: registrations answer that no code can be sent")
	c.SMSGatewayToken = f.env("POPULUS_SMS_GATEWAY_TOKEN")
	f.string(&c.PublicURL, "public-url", "POPULUS_PUBLIC_URL", "", "the site's URL as browsers reach it, e.g. https://eid.example.vn; the OpenID provider's issuer is it and /oidc (default: http:// and --addr)")
	f.string(&c.MasterKeyFile, "master-key-file", "POPULUS_MASTER_KEY_FILE", "", "file holding the master key (32 bytes in base64) that seals the OpenID provider's signing keys; or set $POPULUS_MASTER_KEY; neither: the provider is off")
	c.MasterKey = f.env("POPULUS_MASTER_KEY")
	f.string(&c.ExchangeAddr, "exchange-addr", "POPULUS_EXCHANGE_ADDR", "", "if set, serve the data exchange (X-Road REST, /r1/) over mutual TLS with certificates of Populus's CA on this address (the demo: 127.0.0.1:8443 beside the default --addr)")
	f.int(&c.ExchangeRequestsPerMinute, "exchange-requests-per-minute", "POPULUS_EXCHANGE_REQUESTS_PER_MINUTE", exchange.DefaultRequestsPerMinute, "the data exchange's /r1/ requests one member subsystem may make in a clock minute (beyond: 429, audited); 0: no limit")
	f.int(&c.ExchangeBatchRowsPerMinute, "exchange-batch-rows-per-minute", "POPULUS_EXCHANGE_BATCH_ROWS_PER_MINUTE", exchange.DefaultBatchRowsPerMinute, "the batch verification rows one member subsystem may have verified in a clock minute (beyond: the batch ends with a row saying so, audited); 0: no limit")
	f.string(&c.DebugAddr, "debug-addr", "POPULUS_DEBUG_ADDR", "", "if set, serve Go's profiler (/debug/pprof/) and the metrics (/metrics) on this address, apart from the API; keep it on a loopback or management address")
	f.int(&c.GCPercent, "gc-percent", "POPULUS_GC_PERCENT", 400, "the Go garbage collector's target: a collection when the heap has grown by this percentage since the last; higher uses more memory and less CPU (GOGC, when set, wins)")
	f.eventsFlags(&c.Events)
	f.egress(c)
	f.string(&c.MetricsAddr, "metrics-addr", "POPULUS_METRICS_ADDR", "", "if set, serve the Prometheus metrics (GET /metrics) on this address, apart from the API (which does not serve them); keep it on a loopback or management address")
}

// egress adds --egress-allow: the networks calls made for members (webhooks,
// member services) may reach although private.
func (f *flags) egress(c *config) {
	set := func(s string) error {
		n, err := egress.ParseAllow(s)
		c.EgressAllow = n
		return err
	}
	if err := set(f.env("POPULUS_EGRESS_ALLOW")); err != nil {
		f.envErr = fmt.Errorf("$POPULUS_EGRESS_ALLOW: %w", err)
	}
	f.fs.Func("egress-allow", "comma-separated networks (CIDR) where members' systems live, which webhooks and member services may reach although private, e.g. 10.20.0.0/16; loopback, private, link-local and metadata addresses are refused otherwise ($POPULUS_EGRESS_ALLOW)", func(s string) error {
		f.envErr = nil // the flag wins over the variable
		return set(s)
	})
}

// egressPolicy is what calls made for members may reach: the networks
// allowed, and loopback in the demo (its members run on this machine).
func (c config) egressPolicy(demo bool) egress.Policy {
	return egress.Policy{Allow: c.EgressAllow, Loopback: demo}
}

// readLimits adds the flags of the per-account limits on reads of people
// and of the security alerts (internal/secmon).
func (f *flags) readLimits(c *config) {
	d, o := secmon.DefaultLimits, secmon.DefaultOutliers
	f.int(&c.Reads.ReadsPerMinute, "read-limit-per-minute", "POPULUS_READ_LIMIT_PER_MINUTE", d.ReadsPerMinute, "distinct people one account may read (records and search results) in a clock minute; 0: no limit")
	f.int(&c.Reads.ReadsPerHour, "read-limit-per-hour", "POPULUS_READ_LIMIT_PER_HOUR", d.ReadsPerHour, "distinct people one account may read in a clock hour; 0: no limit")
	f.int(&c.Reads.SearchesPerMinute, "search-limit-per-minute", "POPULUS_SEARCH_LIMIT_PER_MINUTE", d.SearchesPerMinute, "searches one account may run in a clock minute; 0: no limit")
	f.fs.Func("read-limit-exempt", "comma-separated accounts (staff usernames) counted for alerts but never refused, e.g. a benchmark's ($POPULUS_READ_LIMIT_EXEMPT)", func(s string) error {
		c.Reads.Exempt = splitList(s)
		return nil
	})
	c.Reads.Exempt = splitList(f.env("POPULUS_READ_LIMIT_EXEMPT"))
	f.float(&c.Alerts.Factor, "alert-read-factor", "POPULUS_ALERT_READ_FACTOR", o.Factor, "alert when an account reads more than this many times the median of its peers (same role and scope) in a clock hour")
	f.int(&c.Alerts.Floor, "alert-read-floor", "POPULUS_ALERT_READ_FLOOR", o.Floor, "and more than this many distinct people")
	c.Alerts.MinPeers = o.MinPeers
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// parse parses args: --help writes the help and returns flag.ErrHelp
// (which run answers with exit status 0); a wrong flag is one line naming
// it. The command takes f.args arguments (in f.rest), before, between or
// after its flags (staff create NAME --role …).
func (f *flags) parse(args []string) error {
	f.rest = nil
	for {
		err := f.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.help()
			return err
		}
		if err != nil {
			return f.usageError(err)
		}
		if f.fs.NArg() == 0 {
			break
		}
		f.rest = append(f.rest, f.fs.Arg(0))
		args = f.fs.Args()[1:]
	}
	if f.envErr != nil {
		return f.envErr
	}
	// --data names the embedded store, --db PostgreSQL: both given, one
	// would be silently ignored.
	if db := f.fs.Lookup("db"); db != nil && db.Value.String() != "" {
		given := false
		f.fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == "data" })
		if given {
			return f.usageError(errors.New("--data (the embedded SQLite store) and --db (PostgreSQL) choose different stores: give one"))
		}
	}
	if n := len(f.rest); n > f.args {
		return f.usageError(fmt.Errorf("unexpected argument %q", f.rest[f.args]))
	} else if n < f.args {
		return f.usageError(fmt.Errorf("missing argument%s", f.argsUsage))
	}
	return nil
}

func (c config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "json":
		return slog.New(observe.RedactPINs(slog.NewJSONHandler(w, opts))), nil
	case "text":
		return slog.New(observe.RedactPINs(slog.NewTextHandler(w, opts))), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not json or text", c.LogFormat)
}
