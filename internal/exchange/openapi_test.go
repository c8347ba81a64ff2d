package exchange_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/httpx/apitest"
)

// The exchange's API document has exactly the fields its types encode.
func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*exchange.Exchange)(nil).OpenAPI(), map[string]any{
		"ExchangeToken":          exchange.Token{},
		"ExchangeOpStats":        exchange.OpStats{},
		"ExchangeEvidence":       exchange.Evidence{},
		"ExchangeAnswerEvidence": exchange.AnswerEvidence{},
		"ExchangeAnswerProof":    audit.Proof{},
	})
}
