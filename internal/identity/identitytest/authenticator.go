package identitytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Authenticator is a software passkey authenticator, for tests: it answers
// a server's WebAuthn options as a browser and a platform authenticator
// would (a P-256 key per passkey, "none" attestation, the user verified),
// so that registration and sign-in are verified by go-webauthn exactly as
// a browser's answers are. The browser tests use Chromium's virtual
// authenticator instead.
type Authenticator struct {
	Origin string // the site's origin, as the browser reports it
	// NoUserVerification answers without the user-verified flag.
	NoUserVerification bool
	keys               []*softKey
}

type softKey struct {
	id, handle []byte
	rpID       string
	key        *ecdsa.PrivateKey
	counter    uint32
}

var b64 = base64.RawURLEncoding

// Create answers a registration's options (the "publicKey" member).
func (a *Authenticator) Create(options json.RawMessage) (json.RawMessage, error) {
	var o protocol.PublicKeyCredentialCreationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	k := &softKey{id: make([]byte, 16), rpID: o.RelyingParty.ID, key: key}
	id, _ := o.User.ID.(string) // base64url in JSON
	if k.handle, err = b64.DecodeString(id); err != nil || len(k.handle) == 0 {
		return nil, errors.New("the options name no user handle")
	}
	rand.Read(k.id)
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	raw := pub.Bytes() // 0x04 | X | Y
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
	if err != nil {
		return nil, err
	}
	attested := make([]byte, 0, 18+len(k.id)+len(cose))
	attested = append(attested, make([]byte, 16)...) // AAGUID
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.id)))
	attested = append(append(attested, k.id...), cose...)
	auth := a.authData(k, 0x40, attested)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, err
	}
	cd := a.clientData("webauthn.create", o.Challenge)
	a.keys = append(a.keys, k)
	return json.Marshal(map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "attestationObject": b64.EncodeToString(att), "transports": []string{"internal"}}})
}

// Get answers a sign-in's options (the "publicKey" member) with the most
// recently created passkey for the relying party.
func (a *Authenticator) Get(options json.RawMessage) (json.RawMessage, error) {
	var o protocol.PublicKeyCredentialRequestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	var k *softKey
	for _, c := range a.keys {
		if c.rpID == o.RelyingPartyID {
			k = c
		}
	}
	if k == nil {
		return nil, errors.New("no passkey for " + o.RelyingPartyID)
	}
	k.counter++
	auth := a.authData(k, 0, nil)
	cd := a.clientData("webauthn.get", o.Challenge)
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(auth),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(k.handle)}})
}

// Rewind sets the counter of the newest passkey back, as a copy of it
// would be.
func (a *Authenticator) Rewind() { a.keys[len(a.keys)-1].counter = 0 }

func (a *Authenticator) authData(k *softKey, extra byte, attested []byte) []byte {
	rp := sha256.Sum256([]byte(k.rpID))
	flags := byte(0x01) | extra // user present
	if !a.NoUserVerification {
		flags |= 0x04
	}
	out := append(rp[:], flags)
	out = binary.BigEndian.AppendUint32(out, k.counter)
	return append(out, attested...)
}

func (a *Authenticator) clientData(typ string, challenge protocol.URLEncodedBase64) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": b64.EncodeToString(challenge), "origin": a.Origin, "crossOrigin": false})
	return b
}
