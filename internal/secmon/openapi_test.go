package secmon_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/httpx/apitest"
	"github.com/populus-vn/populus/internal/secmon"
)

// The API document has exactly the fields the event encodes.
func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*secmon.Monitor)(nil).OpenAPI(), map[string]any{"SecurityEvent": secmon.Event{}})
}
