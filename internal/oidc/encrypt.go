package oidc

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"slices"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/problem"
)

// The encryption of userinfo answers and ID tokens this provider supports
// (OpenID Connect Registration: *_encrypted_response_alg and _enc): a key
// of the client's registered JWKS wraps the content key.
var (
	encryptionAlgs = []string{string(jose.RSA_OAEP_256), string(jose.ECDH_ES_A256KW)}
	encryptionEncs = []string{string(jose.A256GCM), string(jose.A128CBC_HS256)}
)

// defaultEnc is the content encryption when a client names none (the
// specification's default is A128CBC-HS256; this profile defaults to the
// stronger A256GCM, and a client may ask for A128CBC-HS256).
const defaultEnc = string(jose.A256GCM)

// encryptionKey returns the key of keys that the client named for alg: a
// key for encryption (use "enc", or no use and alg as its algorithm) of
// the type alg takes (RSA for RSA-OAEP-256, EC for ECDH-ES+A256KW), one
// naming alg first.
func encryptionKey(keys jose.JSONWebKeySet, alg string) (jose.JSONWebKey, bool) {
	var best jose.JSONWebKey
	found := false
	for _, k := range keys.Keys {
		if !k.IsPublic() || !(k.Use == "enc" || (k.Use == "" && k.Algorithm == alg)) || (k.Algorithm != "" && k.Algorithm != alg) {
			continue
		}
		switch k.Key.(type) {
		case *rsa.PublicKey:
			if alg != string(jose.RSA_OAEP_256) {
				continue
			}
		case *ecdsa.PublicKey:
			if alg != string(jose.ECDH_ES_A256KW) {
				continue
			}
		default:
			continue
		}
		if k.Algorithm == alg {
			return k, true
		}
		if !found {
			best, found = k, true
		}
	}
	return best, found
}

// checkEncryption names what is wrong with the encryption of a client's
// userinfo answers and ID tokens: an algorithm or content encryption not
// supported, one without a key of the client's JWKS to encrypt to. (Each
// field named literally, for the catalogue of translated reasons.)
func checkEncryption(f *problem.Fields, cfg *ClientConfig) {
	if cfg.UserinfoEncAlg == "" && cfg.UserinfoEnc != "" {
		f.Add("userinfo_encrypted_response_enc", "needs %s", "userinfo_encrypted_response_alg")
	} else if cfg.UserinfoEnc != "" && !slices.Contains(encryptionEncs, cfg.UserinfoEnc) {
		f.Add("userinfo_encrypted_response_enc", "must be %s or %s", encryptionEncs[0], encryptionEncs[1])
	}
	if cfg.IDTokenEncAlg == "" && cfg.IDTokenEnc != "" {
		f.Add("id_token_encrypted_response_enc", "needs %s", "id_token_encrypted_response_alg")
	} else if cfg.IDTokenEnc != "" && !slices.Contains(encryptionEncs, cfg.IDTokenEnc) {
		f.Add("id_token_encrypted_response_enc", "must be %s or %s", encryptionEncs[0], encryptionEncs[1])
	}
	switch want := encryptionKeyProblem(cfg.UserinfoEncAlg, cfg.JWKS); want {
	case "":
	case "alg":
		f.Add("userinfo_encrypted_response_alg", "must be %s or %s", encryptionAlgs[0], encryptionAlgs[1])
	case "jwks":
		f.Add("userinfo_encrypted_response_alg", "needs the client's JSON Web Key Set (jwks) with a public key to encrypt to")
	default:
		f.Add("userinfo_encrypted_response_alg", "the client's jwks has no %s public key for encryption (use \"enc\", or alg %s)", want, cfg.UserinfoEncAlg)
	}
	switch want := encryptionKeyProblem(cfg.IDTokenEncAlg, cfg.JWKS); want {
	case "":
	case "alg":
		f.Add("id_token_encrypted_response_alg", "must be %s or %s", encryptionAlgs[0], encryptionAlgs[1])
	case "jwks":
		f.Add("id_token_encrypted_response_alg", "needs the client's JSON Web Key Set (jwks) with a public key to encrypt to")
	default:
		f.Add("id_token_encrypted_response_alg", "the client's jwks has no %s public key for encryption (use \"enc\", or alg %s)", want, cfg.IDTokenEncAlg)
	}
}

// encryptionKeyProblem says what keeps a client from encrypting with alg:
// "" (nothing, or no alg), "alg" (not supported), "jwks" (no key set), or
// the kind of key missing from its key set ("RSA", "EC").
func encryptionKeyProblem(alg string, jwks json.RawMessage) string {
	if alg == "" {
		return ""
	}
	if !slices.Contains(encryptionAlgs, alg) {
		return "alg"
	}
	var ks jose.JSONWebKeySet
	if len(jwks) == 0 || json.Unmarshal(jwks, &ks) != nil {
		return "jwks"
	}
	if _, ok := encryptionKey(ks, alg); ok {
		return ""
	}
	if alg == string(jose.ECDH_ES_A256KW) {
		return "EC"
	}
	return "RSA"
}

// encrypt wraps a signed JWT for c as a nested JWT (a JWE whose content
// type is JWT) to the client's key for alg, with enc (defaultEnc if empty).
func (c *Client) encrypt(signed []byte, alg, enc string) ([]byte, error) {
	key, ok := encryptionKey(c.keys, alg)
	if !ok {
		return nil, fmt.Errorf("client %s: no key for %s", c.ID, alg)
	}
	if enc == "" {
		enc = defaultEnc
	}
	e, err := jose.NewEncrypter(jose.ContentEncryption(enc), jose.Recipient{Algorithm: jose.KeyAlgorithm(alg), Key: key.Key, KeyID: key.KeyID},
		(&jose.EncrypterOptions{}).WithContentType("JWT"))
	if err != nil {
		return nil, err
	}
	obj, err := e.Encrypt(signed)
	if err != nil {
		return nil, err
	}
	s, err := obj.CompactSerialize()
	return []byte(s), err
}
