package units_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/httpx/apitest"
	"github.com/populus-vn/populus/internal/units"
)

func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*units.Registry)(nil).OpenAPI(), map[string]any{"Unit": units.View{}})
}
