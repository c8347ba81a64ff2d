package audit_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/httpx/apitest"
)

func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*audit.Reader)(nil).OpenAPI(), map[string]any{"AuditEntry": audit.View{}, "AuditProof": audit.Proof{}, "AuditCheckpoint": audit.CheckpointView{}})
}
