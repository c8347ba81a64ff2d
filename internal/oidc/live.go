package oidc

import (
	"time"

	"github.com/populus-vn/populus/internal/db"
)

// liveTokens remembers the access tokens this provider has read active from
// the store, so that a resource server introspecting the same token on each
// call it receives (and userinfo, e-KYC) does not read its row every time.
//
// A remembered token is only used while the store's revocation epoch
// (oidc_token_epoch, migration 0004) is the one read before its row was:
// triggers count the epoch up with every statement that revokes or deletes
// a token, whoever runs it. This process's own revocations make the next
// call read the epoch again, so they hold at once; the epoch is otherwise
// read again once it is older than epochTTL, so that a revocation made by
// another process (the CLI, another instance on PostgreSQL) holds within
// that time. Expiry is checked on every call. At most maxTokens are kept.
type liveTokens = db.EpochCache[grant]

// epochTTL bounds how long a revocation by another process may go unseen.
const epochTTL = time.Second

func newLiveTokens() *liveTokens {
	return db.NewEpochCache[grant]("SELECT seq FROM oidc_token_epoch WHERE id = 1", epochTTL, maxTokens)
}
