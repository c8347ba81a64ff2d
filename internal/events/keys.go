package events

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	_ "crypto/sha256" // the thumbprint's hash
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/db"
)

// Sealer encrypts keys at rest (the platform's master key: oidc.MasterKey).
type Sealer interface {
	Seal(purpose string, b, ad []byte) (string, error)
	Open(purpose, s string, ad []byte) ([]byte, error)
}

// sealPurpose is what the webhook signing key is sealed for.
const sealPurpose = "events webhook signing key"

// SignatureHeader carries the webhook body's signature: a JWS (RFC 7515)
// in compact form with a detached payload (Appendix F), ES256, whose kid
// names a key of the set served at GET /api/v1/events/keys, and whose
// protected header names the subscription and the time of signing (Sign).
// The payload is the request's body, byte for byte.
const SignatureHeader = "Populus-Signature"

// Keys is the key that signs webhook deliveries, sealed in the store
// under the master key.
type Keys struct {
	key *ecdsa.PrivateKey
	id  string
}

// LoadKeys returns the signing key kept in d, sealed by s, creating it on
// the first start. With a nil s the key is made in memory only (a server
// without a master key): subscribers must fetch the key set again after
// each restart.
func LoadKeys(ctx context.Context, d *db.DB, s Sealer) (*Keys, error) {
	if s == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		return newKeys(k)
	}
	var id, sealed string
	err := d.QueryRowContext(ctx, `SELECT id, sealed FROM event_keys ORDER BY created_at DESC, id DESC LIMIT 1`).Scan(&id, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		ks, err := newKeys(k)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		sealed, err := s.Seal(sealPurpose, der, []byte(ks.id))
		if err != nil {
			return nil, err
		}
		// Two servers starting at once: the first key stored wins.
		if _, err := d.ExecContext(ctx, `INSERT INTO event_keys (id, sealed, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			ks.id, sealed, db.FormatTime(time.Now())); err != nil {
			return nil, err
		}
		return LoadKeys(ctx, d, s)
	}
	if err != nil {
		return nil, err
	}
	der, err := s.Open(sealPurpose, sealed, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("webhook signing key %s: cannot open it with this master key: %w", id, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("webhook signing key %s is not an ECDSA key", id)
	}
	return newKeys(ec)
}

// newKeys names k by its public key's SHA-256 (RFC 7638 thumbprint).
func newKeys(k *ecdsa.PrivateKey) (*Keys, error) {
	tp, err := (&jose.JSONWebKey{Key: k.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return &Keys{key: k, id: base64.RawURLEncoding.EncodeToString(tp)}, nil
}

// The protected headers that bind a delivery to its subscription and its
// time: a delivery replayed to another subscriber, or later, does not
// verify there (Verify).
const (
	headerSubscription = "populus-sub"
	headerIssuedAt     = "iat"
	signatureType      = "populus-event+jws"
)

// Sign returns the detached compact JWS of body, delivered to the
// subscription at time at.
func (k *Keys) Sign(body []byte, subscription int64, at time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.key},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), k.id).WithType(signatureType).
			WithHeader(headerSubscription, strconv.FormatInt(subscription, 10)).WithHeader(headerIssuedAt, at.Unix()))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(body)
	if err != nil {
		return "", err
	}
	return jws.DetachedCompactSerialize()
}

// Set is the public key set subscribers verify deliveries with.
func (k *Keys) Set() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.key.Public(), KeyID: k.id, Algorithm: string(jose.ES256), Use: "sig"}}}
}

// SignedFor returns the subscription a delivery's signature names, not
// yet verified: for a subscriber that takes the deliveries of several
// subscriptions at one address, to know which it then verifies against.
func SignedFor(signature string) (int64, error) {
	jws, err := jose.ParseDetached(signature, []byte{}, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return 0, err
	}
	if len(jws.Signatures) != 1 {
		return 0, errors.New("not one signature")
	}
	sub, _ := jws.Signatures[0].Protected.ExtraHeaders[headerSubscription].(string)
	return strconv.ParseInt(sub, 10, 64)
}

// Verify checks a delivery's signature header against body with a key of
// set, as the subscriber of subscription does at now: a delivery's
// signature, of its type, made for that subscription within maxAge of now
// (a delivery retried is signed anew).
func Verify(set jose.JSONWebKeySet, signature string, body []byte, subscription int64, now time.Time, maxAge time.Duration) error {
	jws, err := jose.ParseDetached(signature, body, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return err
	}
	if len(jws.Signatures) != 1 {
		return errors.New("not one signature")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != signatureType {
		return fmt.Errorf("the signature is of type %q, not %s", typ, signatureType)
	}
	if sub, _ := h.ExtraHeaders[headerSubscription].(string); sub != strconv.FormatInt(subscription, 10) {
		return fmt.Errorf("the delivery was signed for subscription %q, not %d", sub, subscription)
	}
	iat, ok := h.ExtraHeaders[headerIssuedAt].(float64)
	if at := time.Unix(int64(iat), 0); !ok || now.Sub(at) > maxAge || at.Sub(now) > maxAge {
		return fmt.Errorf("the delivery was signed at %s, not within %s of %s", at.UTC().Format(time.RFC3339), maxAge, now.UTC().Format(time.RFC3339))
	}
	keys := set.Key(h.KeyID)
	if len(keys) == 0 {
		return fmt.Errorf("no key %q in the set", h.KeyID)
	}
	return jws.DetachedVerify(body, keys[0].Key)
}
