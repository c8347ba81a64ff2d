package consent

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/db"
)

// ReceiptVersion is the receipt's format: the fields of the Kantara
// Consent Receipt 1.1 (named as there), those of ISO/IEC TS 27560 it lacks
// (legal basis, validity), and the platform's limits (data life,
// frequency).
const ReceiptVersion = "KI-CR-v1.1.0+populus-1"

// Receipt is the signed content of one version of a consent record.
type Receipt struct {
	Version          string `json:"version"`
	Jurisdiction     string `json:"jurisdiction"`
	ConsentTimestamp int64  `json:"consentTimestamp"`
	CollectionMethod string `json:"collectionMethod"`
	ConsentReceiptID string `json:"consentReceiptID"`
	Language         string `json:"language"`
	// PIIPrincipalID is the person's PIN, masked (0010******23).
	PIIPrincipalID string          `json:"piiPrincipalId"`
	PIIControllers []Controller    `json:"piiControllers"`
	PolicyURL      string          `json:"policyUrl"`
	Services       []Service       `json:"services"`
	Sensitive      bool            `json:"sensitive"`
	SPICat         []string        `json:"spiCat"`
	Record         ReceiptRecord   `json:"populus"`
	Limits         ReceiptLimits   `json:"limits"`
	Validity       ReceiptValidity `json:"validity"`
}

// Controller is the recipient of the data (the member's subsystem).
type Controller struct {
	PIIController    string `json:"piiController"`
	ControllerID     string `json:"controllerId"`
	OnBehalf         bool   `json:"onBehalf"`
	Contact          string `json:"contact"`
	PIIControllerURL string `json:"piiControllerUrl,omitempty"`
}

// Service is the service the consent is for, with its purposes.
type Service struct {
	Service  string    `json:"service"`
	Purposes []Purpose `json:"purposes"`
}

// Purpose is a purpose of a receipt.
type Purpose struct {
	Purpose         string   `json:"purpose"`
	PurposeCode     string   `json:"purposeCode"`
	PurposeCategory []string `json:"purposeCategory"`
	ConsentType     string   `json:"consentType"`
	LegalBasis      string   `json:"legalBasis"`
	PIICategory     []string `json:"piiCategory"`
	PrimaryPurpose  bool     `json:"primaryPurpose"`
	Termination     string   `json:"termination"`
	ThirdPartyDisc  bool     `json:"thirdPartyDisclosure"`
}

// ReceiptRecord ties the receipt to its record: the record's id and
// version, and its state at that version.
type ReceiptRecord struct {
	ConsentID string `json:"consentId"`
	Version   int    `json:"recordVersion"`
	Status    string `json:"status"`
	RevokedAt int64  `json:"revokedAt,omitempty"`
	// EndedBy says what ended the consent other than its holder's
	// withdrawal ("death").
	EndedBy string `json:"endedBy,omitempty"`
}

// ReceiptLimits are the consent's limits on the recipient.
type ReceiptLimits struct {
	DataLifeDays    int    `json:"dataLifeDays"`
	FrequencyMax    int    `json:"frequencyMax"`
	FrequencyPeriod string `json:"frequencyPeriod,omitempty"`
}

// ReceiptValidity is when the consent holds.
type ReceiptValidity struct {
	From  int64 `json:"from"`
	Until int64 `json:"until"`
}

// MaskPIN shows a PIN's first 4 and last 2 digits.
func MaskPIN(p string) string {
	if len(p) < 8 {
		return strings.Repeat("*", len(p))
	}
	return p[:4] + strings.Repeat("*", len(p)-6) + p[len(p)-2:]
}

// receiptOf is r's receipt.
func receiptOf(r *Record, site string) Receipt {
	termination := "Người dân thu hồi bất cứ lúc nào trên Cổng công dân (/eid/me/consents), hoặc hết hạn " + r.ValidUntil.In(vietnam).Format("02/01/2006") +
		", hoặc chấm dứt khi người dân qua đời"
	rc := Receipt{
		Version: ReceiptVersion, Jurisdiction: "VN", ConsentTimestamp: r.UpdatedAt.Unix(), CollectionMethod: r.Method,
		ConsentReceiptID: fmt.Sprintf("%s/v%d", r.ID, r.Version), Language: "vi", PIIPrincipalID: MaskPIN(r.Subject),
		PIIControllers: []Controller{{PIIController: r.ClientName, ControllerID: r.Client, Contact: r.Client}},
		PolicyURL:      site + "/eid/me/consents",
		Services: []Service{{Service: r.Client, Purposes: []Purpose{{Purpose: r.PurposeText, PurposeCode: r.Purpose,
			PurposeCategory: []string{r.Purpose}, ConsentType: "EXPLICIT", LegalBasis: "consent", PIICategory: r.Fields,
			PrimaryPurpose: true, Termination: termination}}}},
		SPICat:   []string{},
		Record:   ReceiptRecord{ConsentID: r.ID, Version: r.Version, Status: r.Status, EndedBy: r.EndedBy},
		Limits:   ReceiptLimits{DataLifeDays: r.DataLifeDays, FrequencyMax: r.Frequency.Max, FrequencyPeriod: r.Frequency.Period},
		Validity: ReceiptValidity{From: r.ValidFrom.Unix(), Until: r.ValidUntil.Unix()},
	}
	if !r.RevokedAt.IsZero() {
		rc.Record.RevokedAt = r.RevokedAt.Unix()
	}
	return rc
}

// sign returns r's receipt signed (JWS compact, ES256).
func (s *Store) sign(ctx context.Context, r *Record) (string, error) {
	k, err := s.keys.active(ctx)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(receiptOf(r, s.site))
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.id}},
		(&jose.SignerOptions{}).WithType("consent-receipt+jws"))
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// Verify checks a signed receipt against the key set the platform
// publishes (GET /api/v1/consent/keys) and returns its content.
func Verify(receipt string, keys jose.JSONWebKeySet) (Receipt, error) {
	obj, err := jose.ParseSigned(strings.TrimSpace(receipt), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return Receipt{}, errors.New("not a signed receipt: a JWS in compact form, signed ES256, is expected")
	}
	if len(obj.Signatures) != 1 {
		return Receipt{}, errors.New("a receipt has one signature")
	}
	kid := obj.Signatures[0].Header.KeyID
	found := keys.Key(kid)
	if len(found) == 0 {
		return Receipt{}, fmt.Errorf("no key %q in the key set", kid)
	}
	payload, err := obj.Verify(found[0])
	if err != nil {
		return Receipt{}, errors.New("the signature does not verify: the receipt was altered, or signed by another key than its kid names")
	}
	var rc Receipt
	if err := json.Unmarshal(payload, &rc); err != nil {
		return Receipt{}, fmt.Errorf("the receipt's content: %w", err)
	}
	if rc.Version != ReceiptVersion {
		return Receipt{}, fmt.Errorf("receipt version %q, want %q", rc.Version, ReceiptVersion)
	}
	return rc, nil
}

// sealPurpose is what the master key seals the signing keys for.
const sealPurpose = "consent signing key"

type signingKey struct {
	id   string
	priv crypto.Signer
}

// keyring is the receipts' signing keys: one ES256 key made at first use,
// sealed under the master key. Old keys stay published so that every
// receipt ever signed verifies.
type keyring struct {
	db     *db.DB
	master Sealer
	now    func() time.Time

	mu  sync.Mutex
	cur *signingKey
}

func (kr *keyring) active(ctx context.Context) (*signingKey, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if kr.cur != nil {
		return kr.cur, nil
	}
	if kr.master == nil {
		return nil, errors.New("consent: no master key to seal the signing key")
	}
	var id, sealed string
	err := kr.db.QueryRowContext(ctx, "SELECT id, sealed FROM consent_keys ORDER BY created_at DESC, id LIMIT 1").Scan(&id, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return kr.create(ctx)
	}
	if err != nil {
		return nil, err
	}
	der, err := kr.master.Open(sealPurpose, sealed, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("consent signing key %s: %w", id, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("consent signing key %s: %w", id, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("consent signing key %s cannot sign", id)
	}
	kr.cur = &signingKey{id: id, priv: signer}
	return kr.cur, nil
}

// create makes the key; two processes racing keep both (each signs with
// its own, both are published).
func (kr *keyring) create(ctx context.Context) (*signingKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	idb := make([]byte, 8)
	rand.Read(idb)
	id := "consent-" + hex.EncodeToString(idb)
	sealed, err := kr.master.Seal(sealPurpose, der, []byte(id))
	if err != nil {
		return nil, err
	}
	pub, err := json.Marshal(jose.JSONWebKey{Key: priv.Public(), KeyID: id, Algorithm: string(jose.ES256), Use: "sig"})
	if err != nil {
		return nil, err
	}
	if _, err := kr.db.ExecContext(ctx, "INSERT INTO consent_keys (id, sealed, public_jwk, created_at) VALUES ($1, $2, $3, $4)",
		id, sealed, string(pub), db.FormatTime(kr.now())); err != nil {
		return nil, err
	}
	kr.cur = &signingKey{id: id, priv: priv}
	return kr.cur, nil
}

// Keys returns the public keys that verify the receipts.
func (s *Store) Keys(ctx context.Context) (jose.JSONWebKeySet, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT public_jwk FROM consent_keys ORDER BY created_at, id")
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	defer rows.Close()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return set, err
		}
		var k jose.JSONWebKey
		if err := json.Unmarshal([]byte(s), &k); err != nil {
			return set, err
		}
		set.Keys = append(set.Keys, k)
	}
	return set, rows.Err()
}
