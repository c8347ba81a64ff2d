package example_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/example"
	"github.com/populus-vn/populus/internal/httpx/apitest"
)

// The example's API document has exactly the fields its types encode.
func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*example.Notices)(nil).OpenAPI(), map[string]any{
		"ExampleNotice":        example.Notice{},
		"ExampleNoticeRequest": example.NoticeRequest{},
	})
}
