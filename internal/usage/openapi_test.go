package usage_test

import (
	"github.com/populus-vn/populus/internal/audit"
	"testing"

	"github.com/populus-vn/populus/internal/httpx/apitest"
	"github.com/populus-vn/populus/internal/usage"
)

func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*usage.Service)(nil).OpenAPI(), map[string]any{
		"UsagePage":          usage.Page{},
		"UsageItem":          usage.Item{},
		"UsageItem.covert":   usage.Covert{},
		"UsageOrganisation":  usage.Organisation{},
		"UsageCovertFlag":    usage.CovertFlag{},
		"UsageCovertFlagged": usage.CovertFlagged{},
		"UsageProof":         audit.Proof{},
	})
}
