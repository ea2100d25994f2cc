package hooklinetest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Nothing under internal/ points upward: no import of the API, the
// workflows, the activities, the composition root or this test bundle
// (tests included). Those build on internal/, not the other way round.
func TestInternalDoesNotImportUpward(t *testing.T) {
	const mod = "github.com/hookline/hookline"
	forbidden := []string{mod, mod + "/api", mod + "/workflows", mod + "/activities", mod + "/hooklinetest"}
	files := 0
	err := filepath.WalkDir("../internal", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if p == bad || strings.HasPrefix(p, bad+"/") && bad != mod {
					t.Errorf("%s imports %s", path, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("walked only %d files", files)
	}
}
