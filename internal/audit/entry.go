package audit

import (
	"context"
	"fmt"

	"github.com/populus-vn/populus/internal/auth"
)

// Of is the one way to build an entry: p did (or tried to do) a on subject.
// Its outcome is OK; Refused, Failing and With change it.
func Of(p auth.Principal, a auth.Action, subject string) Entry {
	return Entry{Actor: p.ActorID(), Action: string(a), Subject: subject, Outcome: OK}
}

// OfActor builds an entry for an actor that is not a signed-in principal:
// the system ("system:cli"), or a name that failed to sign in.
func OfActor(actor string, a auth.Action, subject string) Entry {
	return Entry{Actor: actor, Action: string(a), Subject: subject, Outcome: OK}
}

// Refused returns e as a refusal, detail saying why.
func (e Entry) Refused(detail string) Entry { e.Outcome, e.Detail = Denied, detail; return e }

// Failing returns e as a failed attempt (a wrong password), detail saying
// why.
func (e Entry) Failing(detail string) Entry { e.Outcome, e.Detail = Failed, detail; return e }

// For returns e with the purpose stated for the access, its legal basis and
// the consent that allowed it (empty where the law needs none).
func (e Entry) For(purpose, legalBasis, consent string) Entry {
	e.Purpose, e.LegalBasis, e.Consent = purpose, legalBasis, consent
	return e
}

// Disclosing returns e with the names of the fields the access disclosed
// (never their values).
func (e Entry) Disclosing(fields ...string) Entry { e.Fields = fields; return e }

// With returns e with detail.
func (e Entry) With(detail string) Entry { e.Detail = detail; return e }

// Deny records a refusal; with Allow it makes *Log the auth.Recorder of the
// guard.
func (l *Log) Deny(ctx context.Context, p auth.Principal, a auth.Action, subject, detail string) error {
	return l.Record(ctx, Of(p, a, subject).Refused(detail))
}

// Allow records that p did a on each subject, before what it did is
// returned.
func (l *Log) Allow(ctx context.Context, p auth.Principal, a auth.Action, detail string, subjects ...string) error {
	entries := make([]Entry, len(subjects))
	for i, s := range subjects {
		entries[i] = Of(p, a, s).With(detail)
	}
	if err := l.Record(ctx, entries...); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

var _ auth.Recorder = (*Log)(nil)
