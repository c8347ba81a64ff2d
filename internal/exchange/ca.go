package exchange

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

// The certificate authority of the exchange: one ECDSA P-256 key, made on
// first use, its private key sealed under the master key (AES-256-GCM, as
// the OpenID provider's signing keys), its certificate in the store. It
// issues subsystems' client certificates and the exchange listener's
// server certificate.
type authority struct {
	cert *x509.Certificate
	pem  []byte
	key  crypto.Signer
	pool *x509.CertPool
}

const (
	caSealPurpose = "exchange ca key"
	certLifetime  = 365 * 24 * time.Hour
)

// authority returns the CA, making it on first use.
func (x *Exchange) authority(ctx context.Context) (*authority, error) {
	x.caMu.Lock()
	defer x.caMu.Unlock()
	if x.ca != nil {
		return x.ca, nil
	}
	for range 2 {
		var certPEM, sealed string
		err := x.db.QueryRowContext(ctx, `SELECT cert_pem, sealed_key FROM exchange_ca WHERE id = 1`).Scan(&certPEM, &sealed)
		if errors.Is(err, sql.ErrNoRows) {
			if err := x.makeAuthority(ctx); err != nil && !db.IsUniqueViolation(err) {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		der, err := x.master.Open(caSealPurpose, sealed, []byte("exchange-ca"))
		if err != nil {
			return nil, fmt.Errorf("exchange CA: %w", err)
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("exchange CA: %w", err)
		}
		blk, _ := pem.Decode([]byte(certPEM))
		if blk == nil {
			return nil, errors.New("exchange CA: no certificate")
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("exchange CA: %w", err)
		}
		pool := x509.NewCertPool()
		pool.AddCert(c)
		x.ca = &authority{cert: c, pem: []byte(certPEM), key: k.(crypto.Signer), pool: pool}
		return x.ca, nil
	}
	return nil, errors.New("exchange CA: could not be made")
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func (x *Exchange) makeAuthority(ctx context.Context) error {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	sn, err := serial()
	if err != nil {
		return err
	}
	now := x.now()
	tpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{Country: []string{"VN"}, Organization: []string{"Populus"}, CommonName: "Populus data exchange CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * certLifetime),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		return err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return err
	}
	sealed, err := x.master.Seal(caSealPurpose, p8, []byte("exchange-ca"))
	if err != nil {
		return err
	}
	_, err = x.db.ExecContext(ctx, `INSERT INTO exchange_ca (id, cert_pem, sealed_key, created_at) VALUES (1, $1, $2, $3)`,
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), sealed, isoNow(now))
	return err
}

// CACertificate returns the CA's certificate (PEM), for member systems to
// trust the exchange listener and for their own records.
func (x *Exchange) CACertificate(ctx context.Context) ([]byte, error) {
	ca, err := x.authority(ctx)
	if err != nil {
		return nil, err
	}
	return ca.pem, nil
}

// Issued is a certificate the CA issued, with its private key (PEM); the
// key is never stored by Populus.
type Issued struct {
	Serial  string
	CertPEM []byte
	KeyPEM  []byte
}

// IssueCertificate issues a client certificate to a registered subsystem:
// a new P-256 key, the subsystem id as common name, valid for a year. If
// the subsystem has no public key for client assertions yet, the
// certificate's becomes it.
func (x *Exchange) IssueCertificate(ctx context.Context, subsystem string) (Issued, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Issued{}, err
	}
	iss, err := x.issue(ctx, subsystem, &k.PublicKey)
	if err != nil {
		return Issued{}, err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return Issued{}, err
	}
	iss.KeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})
	return iss, nil
}

// IssueCertificateForCSR issues a client certificate to a registered
// subsystem for the key of a certificate signing request (PKCS #10, PEM)
// that the member made, so that its private key never leaves it: the
// request's signature must verify, its key be ECDSA P-256 or P-384, RSA
// of 2048 bits or more, or Ed25519; its subject is not used (the
// certificate names the subsystem). Issued.KeyPEM is empty.
func (x *Exchange) IssueCertificateForCSR(ctx context.Context, subsystem string, csrPEM []byte) (Issued, error) {
	blk, _ := pem.Decode(csrPEM)
	if blk == nil || blk.Type != "CERTIFICATE REQUEST" && blk.Type != "NEW CERTIFICATE REQUEST" {
		return Issued{}, problem.Field("csr", "is not a PEM certificate signing request (CERTIFICATE REQUEST)")
	}
	csr, err := x509.ParseCertificateRequest(blk.Bytes)
	if err != nil {
		return Issued{}, problem.Field("csr", "cannot be read: %v", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return Issued{}, problem.Field("csr", "its signature does not verify: %v", err)
	}
	switch k := csr.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return Issued{}, problem.Field("csr", "an ECDSA key must be on P-256 or P-384")
		}
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return Issued{}, problem.Field("csr", "an RSA key must have 2048 bits or more")
		}
	case ed25519.PublicKey:
	default:
		return Issued{}, problem.Field("csr", "the key must be ECDSA P-256 or P-384, RSA of 2048 bits or more, or Ed25519")
	}
	return x.issue(ctx, subsystem, csr.PublicKey)
}

// issue signs a client certificate of subsystem for pub and records it;
// pub becomes the subsystem's key for client assertions if it has none.
func (x *Exchange) issue(ctx context.Context, subsystem string, pub crypto.PublicKey) (Issued, error) {
	var name, member, revoked, jwk string
	err := x.db.QueryRowContext(ctx, `SELECT s.name, m.name, s.revoked_at || m.revoked_at, s.public_jwk FROM exchange_subsystems s JOIN exchange_members m ON m.id = s.member_id WHERE s.id = $1`, subsystem).
		Scan(&name, &member, &revoked, &jwk)
	if errors.Is(err, sql.ErrNoRows) || revoked != "" {
		return Issued{}, problem.Field("subsystem", "%s is not a registered subsystem (or is revoked)", subsystem)
	} else if err != nil {
		return Issued{}, err
	}
	ca, err := x.authority(ctx)
	if err != nil {
		return Issued{}, err
	}
	sn, err := serial()
	if err != nil {
		return Issued{}, err
	}
	now := x.now()
	tpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{Country: []string{"VN"}, Organization: []string{member}, OrganizationalUnit: []string{name}, CommonName: subsystem},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(certLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.cert, pub, ca.key)
	if err != nil {
		return Issued{}, err
	}
	out := Issued{Serial: hex.EncodeToString(sn.Bytes()), CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	thumb, err := thumbprint(jose.JSONWebKey{Key: pub})
	if err != nil {
		return Issued{}, err
	}
	err = x.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_certificates (serial, subsystem_id, not_after, created_at, key_thumbprint) VALUES ($1, $2, $3, $4, $5)`,
			out.Serial, subsystem, isoNow(tpl.NotAfter), isoNow(now), thumb); err != nil {
			return err
		}
		if jwk != "" {
			return nil
		}
		alg := jose.ES256
		switch k := pub.(type) {
		case *ecdsa.PublicKey:
			if k.Curve == elliptic.P384() {
				alg = jose.ES384
			}
		case *rsa.PublicKey:
			alg = jose.RS256
		case ed25519.PublicKey:
			alg = jose.EdDSA
		}
		b, err := jose.JSONWebKey{Key: pub, KeyID: out.Serial, Algorithm: string(alg), Use: "sig"}.MarshalJSON()
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE exchange_subsystems SET public_jwk = $1 WHERE id = $2`, string(b), subsystem)
		return err
	})
	return out, err
}

// thumbprint is the RFC 7638 thumbprint of a public key (SHA-256,
// base64url).
func thumbprint(k jose.JSONWebKey) (string, error) {
	b, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// RevokeCertificate revokes one certificate by its serial (hex): its next
// request is refused.
//
// Where the certificate's key is also the subsystem's key for client
// assertions (the same key by its thumbprint, whether issue made it so or
// it was registered before as a JWK; for a certificate issued before
// thumbprints were kept, the key id issue gave it, the serial), that key
// goes too, with every access token of the subsystem, all at once: a key
// revoked for mutual TLS must not go on taking tokens.
func (x *Exchange) RevokeCertificate(ctx context.Context, serialHex string) error {
	now := isoNow(x.now())
	defer x.live.Invalidate()
	return x.db.InTx(ctx, func(tx *sql.Tx) error {
		var subsystem, thumb string
		err := tx.QueryRowContext(ctx, `UPDATE exchange_certificates SET revoked_at = $1 WHERE serial = $2 AND revoked_at = '' RETURNING subsystem_id, key_thumbprint`, now, serialHex).Scan(&subsystem, &thumb)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.New(problem.NotFound, "no valid certificate with serial %s", serialHex)
		} else if err != nil {
			return err
		}
		var raw string
		if err := tx.QueryRowContext(ctx, `SELECT public_jwk FROM exchange_subsystems WHERE id = $1`, subsystem).Scan(&raw); err != nil {
			return err
		}
		var key jose.JSONWebKey
		if raw == "" || key.UnmarshalJSON([]byte(raw)) != nil {
			return nil
		}
		if same, _ := thumbprint(key); key.KeyID != serialHex && (thumb == "" || same != thumb) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE exchange_subsystems SET public_jwk = '' WHERE id = $1`, subsystem); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE exchange_tokens SET revoked_at = $1 WHERE subsystem_id = $2 AND revoked_at = ''`, now, subsystem)
		return err
	})
}

// TLSConfig is the exchange listener's: a server certificate from the CA
// for hosts (made now, in memory), client certificates of the CA verified
// when given (the guard then finds the subsystem and checks revocation on
// each request; a caller with a token presents none).
func (x *Exchange) TLSConfig(ctx context.Context, hosts []string) (*tls.Config, error) {
	ca, err := x.authority(ctx)
	if err != nil {
		return nil, err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	now := x.now()
	tpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{Country: []string{"VN"}, Organization: []string{"Populus"}, CommonName: "Populus data exchange"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(certLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else {
			tpl.DNSNames = append(tpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.cert, &k.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: k}},
		ClientCAs:    ca.pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
	}, nil
}

// Certificate is a client certificate the CA issued: its serial (hex),
// its subsystem, until when it is valid, and when it was revoked.
type Certificate struct {
	Serial    string    `json:"serial"`
	Subsystem string    `json:"subsystem_id"`
	NotAfter  time.Time `json:"not_after"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Certificates lists the certificates issued to subsystem ("" for all),
// newest first.
func (x *Exchange) Certificates(ctx context.Context, subsystem string) ([]Certificate, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT serial, subsystem_id, not_after, created_at, revoked_at FROM exchange_certificates
		WHERE $1 = '' OR subsystem_id = $1 ORDER BY created_at DESC, serial`, subsystem)
	return db.Collect(rows, err, func(s db.Scanner) (Certificate, error) {
		var c Certificate
		var revoked string
		err := s.Scan(&c.Serial, &c.Subsystem, db.Time{T: &c.NotAfter}, db.Time{T: &c.CreatedAt}, &revoked)
		if err == nil && revoked != "" {
			c.RevokedAt, err = db.ParseTime(revoked)
		}
		return c, err
	})
}

// AdminRevokeCertificate is RevokeCertificate for a staff administrator:
// the subsystem's member must be within p's reach; audited.
func (x *Exchange) AdminRevokeCertificate(ctx context.Context, p auth.Principal, serialHex string) error {
	var subsystem string
	err := x.db.QueryRowContext(ctx, `SELECT subsystem_id FROM exchange_certificates WHERE serial = $1`, serialHex).Scan(&subsystem)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.New(problem.NotFound, "no certificate with serial %s", serialHex)
	} else if err != nil {
		return err
	}
	sid, err := ParseSubsystem(subsystem)
	if err != nil {
		return err
	}
	if err := x.checkMember(ctx, p, sid.MemberID(), "serial"); err != nil {
		return err
	}
	if err := x.RevokeCertificate(ctx, serialHex); err != nil {
		return err
	}
	return x.audit.Record(ctx, audit.Of(p, ManageExchange, subsystem).With("certificate revoked: serial "+serialHex))
}
