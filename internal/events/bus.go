package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The JetStream stream events are published to, and its subjects:
// populus.events.<subscriber with its slashes as dots>.<type>, e.g.
// populus.events.VN.COM.VCB.EKYC.death.
const (
	StreamName    = "POPULUS_EVENTS"
	SubjectPrefix = "populus.events."
)

// Subject is the subject of an event of type t for subscriber.
func Subject(subscriber string, t Type) string {
	return SubjectPrefix + strings.ReplaceAll(subscriber, "/", ".") + "." + string(t)
}

// Bus publishes to NATS JetStream.
type Bus struct {
	nc *nats.Conn
	js jetstream.JetStream
}

// BusOptions configure the stream.
type BusOptions struct {
	// Replicas of the stream (1 on one server; 3 on a cluster of three).
	Replicas int
	// MaxAge is how long the stream keeps an event (default 30 days).
	MaxAge time.Duration
	// Duplicates is JetStream's window for dropping a message whose
	// Nats-Msg-Id it has seen (default 10 minutes).
	Duplicates time.Duration
}

// ConnectBus connects to the NATS servers at url (comma-separated) and
// creates or updates the stream.
func ConnectBus(ctx context.Context, url string, o BusOptions) (*Bus, error) {
	nc, err := nats.Connect(url, nats.Name("populus events"), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 30 * 24 * time.Hour
	}
	if o.Duplicates <= 0 {
		o.Duplicates = 10 * time.Minute
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: StreamName, Subjects: []string{SubjectPrefix + ">"}, Storage: jetstream.FileStorage,
		Replicas: o.Replicas, MaxAge: o.MaxAge, Duplicates: o.Duplicates,
	}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats stream %s: %w", StreamName, err)
	}
	return &Bus{nc: nc, js: js}, nil
}

// Close closes the connection.
func (b *Bus) Close() { b.nc.Close() }

// Message is one event to publish.
type Message struct {
	Subject string
	// MsgID is the Nats-Msg-Id (JetStream drops a second message with the
	// same id within its duplicates window).
	MsgID string
	Data  []byte
	Event Event
}

// Headers a NATS delivery carries besides Nats-Msg-Id.
const (
	HeaderEventID   = "Populus-Event-Id"
	HeaderEventType = "Populus-Event-Type"
)

// Publish publishes msgs one after the other, each after the stream
// acknowledged the one before, so that the stream holds them in the
// outbox's order even when a publication fails midway (an asynchronous
// batch could store a later message and fail an earlier one, which the
// next attempt would then put after it). It returns how many, from the
// first, the stream acknowledged, and the error that stopped the others.
func (b *Bus) Publish(ctx context.Context, msgs []Message) (int, error) {
	if !b.nc.IsConnected() {
		// Not queued in the client's reconnect buffer: tried again later.
		return 0, fmt.Errorf("nats: not connected (%s)", b.nc.Status())
	}
	for i, m := range msgs {
		nm := nats.NewMsg(m.Subject)
		nm.Data = m.Data
		nm.Header.Set(HeaderEventID, m.Event.ID)
		nm.Header.Set(HeaderEventType, string(m.Event.Type))
		if _, err := b.js.PublishMsg(ctx, nm, jetstream.WithMsgID(m.MsgID)); err != nil {
			return i, err
		}
	}
	return len(msgs), nil
}

// Embedded is a NATS server run inside the process, JetStream on, its
// store in a directory (the demo and tests).
type Embedded struct {
	*server.Server
}

// EmbeddedOptions configure an embedded server.
type EmbeddedOptions struct {
	// Dir is JetStream's store.
	Dir string
	// Port to listen on, on 127.0.0.1 (0: any free port).
	Port int
	// Name of the server (in a cluster, each its own).
	Name string
	// Cluster: a cluster's name, this server's route port and the routes
	// to the others (nats-route://127.0.0.1:port), empty for one server.
	Cluster     string
	ClusterPort int
	Routes      []string
}

// StartEmbedded starts a NATS server in the process and waits until it
// accepts connections.
func StartEmbedded(o EmbeddedOptions) (*Embedded, error) {
	port := o.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{ServerName: o.Name, Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: o.Dir,
		NoSigs: true, NoLog: true, MaxPayload: 64 << 10}
	if o.Cluster != "" {
		opts.Cluster = server.ClusterOpts{Name: o.Cluster, Host: "127.0.0.1", Port: o.ClusterPort}
		if len(o.Routes) > 0 {
			opts.Routes = server.RoutesFromStr(strings.Join(o.Routes, ","))
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, errors.New("embedded nats server: not ready after 30 s")
	}
	return &Embedded{s}, nil
}

// Stop shuts the server down and waits for it.
func (e *Embedded) Stop() {
	e.Shutdown()
	e.WaitForShutdown()
}
