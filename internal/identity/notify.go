package identity

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/smtp"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/db"
)

// Message is what is sent to a holder: a one-time code, an alert.
type Message struct {
	// Channel is "sms" (To is a phone number) or "email".
	Channel string
	To      string
	Body    string
}

// Notifier sends messages to holders. Send returns once the message is
// accepted for delivery; its error means it was not.
type Notifier interface {
	Send(ctx context.Context, m Message) error
}

// Outbox is the notifier of the demo and of tests: it keeps each message in
// the store (table eid_outbox), where the outbox page shows them, instead
// of sending it. It must not be used where real holders register: anyone
// who may read the outbox reads their codes.
type Outbox struct {
	db  *db.DB
	now func() time.Time
}

// NewOutbox returns the outbox notifier over d.
func NewOutbox(d *db.DB) *Outbox { return &Outbox{db: d, now: time.Now} }

// Send keeps m in the outbox.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	_, err := o.db.ExecContext(ctx, "INSERT INTO eid_outbox (channel, recipient, body, created_at) VALUES ($1, $2, $3, $4)",
		m.Channel, m.To, m.Body, db.FormatTime(o.now()))
	return err
}

// OutboxEntry is a message kept by the outbox.
type OutboxEntry struct {
	ID        int64     `json:"id"`
	Channel   string    `json:"channel"`
	To        string    `json:"to"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// Recent returns the newest messages, at most limit (1–200), newest first.
func (o *Outbox) Recent(ctx context.Context, limit int) ([]OutboxEntry, error) {
	limit = min(max(limit, 1), 200)
	rows, err := o.db.QueryContext(ctx, "SELECT id, channel, recipient, body, created_at FROM eid_outbox ORDER BY id DESC LIMIT $1", limit)
	return db.Collect(rows, err, func(sc db.Scanner) (OutboxEntry, error) {
		var e OutboxEntry
		err := sc.Scan(&e.ID, &e.Channel, &e.To, &e.Body, db.Time{T: &e.CreatedAt})
		return e, err
	})
}

// SMSGateway sends text messages through an HTTP gateway: a POST of
// {"to": …, "text": …} as JSON to URL, with the header Authorization:
// Bearer Token when Token is set; any 2xx status is accepted. Most
// Vietnamese SMS brandname gateways take this shape, or one a small proxy
// maps to it.
type SMSGateway struct {
	URL    string
	Token  string
	Client *http.Client // nil: a client with a 10-second timeout
}

// Send posts m to the gateway; only Channel "sms" is sent.
func (g *SMSGateway) Send(ctx context.Context, m Message) error {
	if m.Channel != "sms" {
		return fmt.Errorf("sms gateway: cannot send on channel %q", m.Channel)
	}
	body, _ := json.Marshal(map[string]string{"to": m.To, "text": m.Body})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if g.Token != "" {
		req.Header.Set("Authorization", "Bearer "+g.Token)
	}
	c := g.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sms gateway: answered %s", resp.Status)
	}
	return nil
}

// SMTPMailer sends e-mail through an SMTP server (STARTTLS when the server
// offers it; PLAIN authentication when Username is set, which Go allows
// only over TLS or to localhost).
type SMTPMailer struct {
	Addr     string // host:port
	From     string
	Username string
	Password string
}

// Send mails m; only Channel "email" is sent.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	if m.Channel != "email" {
		return fmt.Errorf("smtp: cannot send on channel %q", m.Channel)
	}
	if strings.ContainsAny(m.To+s.From, "\r\n") {
		return errors.New("smtp: address holds a line break")
	}
	var auth smtp.Auth
	if s.Username != "" {
		host, _, _ := strings.Cut(s.Addr, ":")
		auth = smtp.PlainAuth("", s.Username, s.Password, host)
	}
	msg := "From: " + s.From + "\r\nTo: " + m.To + "\r\nSubject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("Populus – Định danh điện tử")) + "?=\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + m.Body + "\r\n"
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(s.Addr, auth, s.From, []string{m.To}, []byte(msg)) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unconfigured is the notifier of a server given no gateway: it sends
// nothing and says so, so that registrations answer that the code could
// not be sent rather than leave the citizen waiting.
type Unconfigured struct{}

// Send refuses m.
func (Unconfigured) Send(context.Context, Message) error {
	return errors.New("no SMS gateway is configured (--sms-gateway-url)")
}

// NotifierFor returns the notifier of a server: the outbox when outbox is
// set (the demo), the SMS gateway at gatewayURL when one is given, and
// otherwise Unconfigured.
func NotifierFor(d *db.DB, outbox bool, gatewayURL, gatewayToken string) Notifier {
	switch {
	case outbox:
		return NewOutbox(d)
	case gatewayURL != "":
		return &SMSGateway{URL: gatewayURL, Token: gatewayToken}
	}
	return Unconfigured{}
}
