package oidc

import (
	"strings"
	"testing"
)

// The remembered decryptions: the same answers as the library's crypto,
// a token that does not open is not remembered, and the memory stays
// within its bound.
func TestTokenCryptoMemory(t *testing.T) {
	var key [32]byte
	key[0] = 7
	c := newTokenCrypto(key)
	c.max = 2
	var tokens []string
	for _, s := range []string{"a:sub1", "b:sub2", "c:sub3"} {
		tok, err := c.Encrypt(s)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	for round := range 2 {
		for i, tok := range tokens {
			got, err := c.Decrypt(tok)
			if want := []string{"a:sub1", "b:sub2", "c:sub3"}[i]; err != nil || got != want {
				t.Fatalf("round %d: %q %v, want %q", round, got, err, want)
			}
			if len(c.seen) > c.max {
				t.Fatalf("%d remembered, bound %d", len(c.seen), c.max)
			}
		}
	}
	forged := tokens[0][:len(tokens[0])-4] + strings.Repeat("A", 4)
	if _, err := c.Decrypt(forged); err == nil {
		t.Fatal("a forged token opened")
	}
	if _, ok := c.seen[forged]; ok {
		t.Error("a forged token was remembered")
	}
	other := newTokenCrypto([32]byte{1})
	if _, err := other.Decrypt(tokens[0]); err == nil {
		t.Error("a token opened under another key")
	}
}
