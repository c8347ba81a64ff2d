package consent_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/httpx/apitest"
)

func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*consent.Store)(nil).OpenAPI(), map[string]any{
		"ConsentFrequency":      consent.Frequency{},
		"ConsentGrant":          consent.Grant{},
		"ConsentRecord":         consent.Record{},
		"ConsentRequest":        consent.Request{},
		"ConsentRequestReceipt": consent.RequestReceipt{},
		"ConsentVersion":        consent.Version{},
	})
}
