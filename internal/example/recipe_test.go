package example_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRecipeMatchesTheExample keeps docs/adding-a-capability.md true: each
// code block preceded by <!-- file: PATH --> appears, word for word, in that
// file of the repository.
func TestRecipeMatchesTheExample(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "adding-a-capability.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)<!-- file: (\\S+) -->\\n```go\\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 6 {
		t.Fatalf("%d code blocks naming a file, want at least 6", len(blocks))
	}
	for _, b := range blocks {
		src, err := os.ReadFile(filepath.Join(root, b[1]))
		if err != nil {
			t.Errorf("the recipe names %s: %v", b[1], err)
			continue
		}
		if !strings.Contains(string(src), b[2]) {
			t.Errorf("the recipe's block from %s is not in that file:\n%s", b[1], b[2])
		}
	}
}
