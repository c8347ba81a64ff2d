package staff_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/httpx/apitest"
	"github.com/populus-vn/populus/internal/staff"
)

func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*staff.Service)(nil).OpenAPI(), map[string]any{
		"SessionRequest": staff.SessionRequest{},
		"Session":        staff.SessionResponse{},
	})
}
