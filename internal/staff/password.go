package staff

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters of a password hash. They are
// written into every hash (PHC string format), so a hash made with older
// parameters still verifies after the defaults change, and is upgraded at
// the next successful sign-in.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams is the second recommended option of RFC 9106 §4 (64 MiB,
// 3 passes, 4 lanes): about 50–100 ms on a server core, which is noticed by
// no officer signing in and costs an attacker with the database dearly.
// Hashing is limited to a few at a time (see hashSlots), so a burst of
// sign-ins cannot take more than a few hundred MiB.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}

// TestParams are cheap parameters for tests only: a hash takes microseconds
// and protects nothing. Never use them for real accounts.
var TestParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// hashSlots bounds concurrent hashing: each running hash holds
// Params.Memory of RAM.
var hashSlots = make(chan struct{}, 4)

func argon(password string, salt []byte, p Params) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// HashPassword returns the PHC string of password:
// $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>, salt and hash in unpadded
// standard base64, as the reference implementation writes them.
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon(password, salt, p)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("staff: password hash is not an argon2id PHC string")

// parseHash reads a PHC string made by HashPassword.
func parseHash(s string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) == 0 {
		return p, nil, nil, errBadHash
	}
	if p.Memory < 8*uint32(p.Threads) || p.Time == 0 || p.Threads == 0 {
		return p, nil, nil, errBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// VerifyPassword reports whether password matches the PHC string hash,
// comparing in constant time. A malformed hash never matches.
func VerifyPassword(password, hash string) bool {
	p, salt, key, err := parseHash(hash)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(argon(password, salt, p), key) == 1
}

// needsRehash reports whether hash was made with parameters other than p.
func needsRehash(hash string, p Params) bool {
	hp, _, _, err := parseHash(hash)
	return err != nil || hp != p
}

// dummyHash is verified against when a username is unknown, so that the
// answer takes as long as for a known one and does not reveal which
// usernames exist.
func dummyHash(p Params) string {
	h, _ := HashPassword("populus-no-such-user", p)
	return h
}
