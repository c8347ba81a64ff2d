package oidc

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/populus-vn/populus/internal/db"
)

// MasterKey encrypts the provider's secrets at rest (the signing keys)
// and derives the key that makes access tokens opaque. It is 32 bytes,
// given in base64 by an environment variable or in a file, never stored in
// the database.
type MasterKey struct{ k [32]byte }

// ParseMasterKey reads a master key written in standard or URL-safe
// base64 (with or without padding).
func ParseMasterKey(s string) (MasterKey, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return MasterKey{}, fmt.Errorf("the master key is %d bytes, want 32", len(b))
			}
			var m MasterKey
			copy(m.k[:], b)
			return m, nil
		}
	}
	return MasterKey{}, errors.New("the master key is not base64")
}

// NewMasterKey returns a random master key.
func NewMasterKey() (MasterKey, error) {
	var m MasterKey
	_, err := rand.Read(m.k[:])
	return m, err
}

// String is the key in base64, to write it into its file once.
func (m MasterKey) String() string { return base64.StdEncoding.EncodeToString(m.k[:]) }

// LoadMasterKey returns the key from the environment value env if set,
// else from the file at path; if neither holds one and create is set (the
// demo), it makes one and writes it to path (mode 0600).
func LoadMasterKey(env, path string, create bool) (MasterKey, error) {
	if env != "" {
		return ParseMasterKey(env)
	}
	if path == "" {
		return MasterKey{}, errors.New("no master key: set POPULUS_MASTER_KEY or --master-key-file")
	}
	b, err := os.ReadFile(path)
	if err == nil {
		return ParseMasterKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		return MasterKey{}, fmt.Errorf("master key: %w", err)
	}
	m, err := NewMasterKey()
	if err != nil {
		return MasterKey{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return MasterKey{}, err
	}
	if err := os.WriteFile(path, []byte(m.String()+"\n"), 0o600); err != nil {
		return MasterKey{}, err
	}
	return m, nil
}

// derive returns a 32-byte key for purpose (HKDF-SHA256).
func (m MasterKey) derive(purpose string) [32]byte {
	b, err := hkdf.Key(sha256.New, m.k[:], nil, "populus oidc "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot give
	}
	var k [32]byte
	copy(k[:], b)
	return k
}

// Seal encrypts b with AES-256-GCM under a key derived for purpose; the
// additional data binds it to where it is stored (a key's id).
func (m MasterKey) Seal(purpose string, b, ad []byte) (string, error) {
	k := m.derive(purpose)
	blk, err := aes.NewCipher(k[:])
	if err != nil {
		return "", err
	}
	g, err := cipher.NewGCMWithRandomNonce(blk)
	if err != nil {
		return "", err
	}
	return base64.RawStdEncoding.EncodeToString(g.Seal(nil, nil, b, ad)), nil
}

// Open decrypts what Seal made for purpose with the same additional data.
func (m MasterKey) Open(purpose, s string, ad []byte) ([]byte, error) {
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	k := m.derive(purpose)
	blk, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCMWithRandomNonce(blk)
	if err != nil {
		return nil, err
	}
	out, err := g.Open(nil, nil, b, ad)
	if err != nil {
		return nil, errors.New("a sealed key does not open under this master key")
	}
	return out, nil
}

// signingKey is one signing key of the provider: RSA (RS256, which every
// relying party must accept) or ECDSA P-256 (ES256, for the clients that
// ask for it: a signature costs a few percent of an RSA one).
type signingKey struct {
	id      string
	alg     jose.SignatureAlgorithm
	priv    crypto.Signer
	created time.Time
	retired time.Time
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Algorithm() jose.SignatureAlgorithm          { return k.alg }
func (k *signingKey) ID() string                                  { return k.id }
func (k *signingKey) Use() string                                 { return "sig" }

// Key is the private key to sign with (op.SigningKey); as an op.Key it is
// the public key (publicKey).
func (k *signingKey) Key() any { return k.priv }

type publicKey struct{ *signingKey }

func (k publicKey) Key() any { return k.priv.Public() }

// Key rotation: a key signs for keyLifetime, then is retired and stays in
// the key set for retiredFor, so that tokens it signed still verify.
const (
	keyLifetime = 30 * 24 * time.Hour
	retiredFor  = 2 * 24 * time.Hour
	keyBits     = 2048
)

// algorithms are the signing algorithms, a key of each at any time.
var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// keyring holds the signing keys, read from the store and cached.
type keyring struct {
	db     *db.DB
	master MasterKey
	now    func() time.Time

	mu   sync.Mutex
	keys []*signingKey // newest first
	read time.Time
}

// load reads the keys when the cache is older than a minute.
func (kr *keyring) load(ctx context.Context) ([]*signingKey, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	now := kr.now()
	if kr.keys != nil && now.Sub(kr.read) < time.Minute {
		return kr.keys, nil
	}
	rows, err := kr.db.QueryContext(ctx, "SELECT id, algorithm, sealed, created_at, retired_at FROM oidc_keys ORDER BY created_at DESC, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []*signingKey
	for rows.Next() {
		var id, alg, sealed, created, retired string
		if err := rows.Scan(&id, &alg, &sealed, &created, &retired); err != nil {
			return nil, err
		}
		der, err := kr.master.Open("signing key", sealed, []byte(id))
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", id, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", id, err)
		}
		signer, ok := priv.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("signing key %s cannot sign", id)
		}
		k := &signingKey{id: id, alg: jose.SignatureAlgorithm(alg), priv: signer}
		if k.created, err = db.ParseTime(created); err != nil {
			return nil, err
		}
		if retired != "" {
			if k.retired, err = db.ParseTime(retired); err != nil {
				return nil, err
			}
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	kr.keys, kr.read = keys, now
	return keys, nil
}

func newKey(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	if alg == jose.ES256 {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return rsa.GenerateKey(rand.Reader, keyBits)
}

// Rotate makes a new signing key of each algorithm, which signs from now
// on; the previous ones are retired and stay published for retiredFor. It
// returns the new keys' ids.
func (kr *keyring) Rotate(ctx context.Context) ([]string, error) {
	type sealedKey struct{ id, alg, sealed, pub string }
	var made []sealedKey
	for _, alg := range algorithms {
		priv, err := newKey(alg)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, err
		}
		idb := make([]byte, 8)
		rand.Read(idb)
		id := hex.EncodeToString(idb)
		sealed, err := kr.master.Seal("signing key", der, []byte(id))
		if err != nil {
			return nil, err
		}
		pub, err := json.Marshal(jose.JSONWebKey{Key: priv.Public(), KeyID: id, Algorithm: string(alg), Use: "sig"})
		if err != nil {
			return nil, err
		}
		made = append(made, sealedKey{id, string(alg), sealed, string(pub)})
	}
	now := db.FormatTime(kr.now())
	err := kr.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE oidc_keys SET retired_at = $1 WHERE retired_at = ''", now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM oidc_keys WHERE retired_at <> '' AND retired_at < $1", db.FormatTime(kr.now().Add(-retiredFor))); err != nil {
			return err
		}
		for _, k := range made {
			if _, err := tx.ExecContext(ctx, "INSERT INTO oidc_keys (id, algorithm, sealed, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)",
				k.id, k.alg, k.sealed, k.pub, now); err != nil {
				return err
			}
		}
		return nil
	})
	kr.mu.Lock()
	kr.keys = nil
	kr.mu.Unlock()
	var ids []string
	for _, k := range made {
		ids = append(ids, k.id)
	}
	return ids, err
}

// current is the newest live key of alg, nil if none or too old.
func (kr *keyring) current(keys []*signingKey, alg jose.SignatureAlgorithm) *signingKey {
	for _, k := range keys {
		if k.alg == alg && k.retired.IsZero() && kr.now().Sub(k.created) <= keyLifetime {
			return k
		}
	}
	return nil
}

// active is the key of alg that signs now, rotating first when there is
// none or it is older than keyLifetime.
func (kr *keyring) active(ctx context.Context, alg jose.SignatureAlgorithm) (*signingKey, error) {
	keys, err := kr.load(ctx)
	if err != nil {
		return nil, err
	}
	if k := kr.current(keys, alg); k != nil {
		return k, nil
	}
	if _, err := kr.Rotate(ctx); err != nil {
		return nil, fmt.Errorf("rotate signing keys: %w", err)
	}
	if keys, err = kr.load(ctx); err != nil {
		return nil, err
	}
	if k := kr.current(keys, alg); k != nil {
		return k, nil
	}
	return nil, errors.New("no signing key")
}

// published is the key set: the active keys and those retired within
// retiredFor.
func (kr *keyring) published(ctx context.Context) ([]op.Key, error) {
	if _, err := kr.active(ctx, jose.RS256); err != nil {
		return nil, err
	}
	keys, err := kr.load(ctx)
	if err != nil {
		return nil, err
	}
	var out []op.Key
	for _, k := range keys {
		if k.retired.IsZero() || kr.now().Sub(k.retired) < retiredFor {
			out = append(out, publicKey{k})
		}
	}
	return out, nil
}
