package authn

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// credential matches the names of values an attacker could learn byte by
// byte from how long a comparison takes.
var credential = regexp.MustCompile(`(?i)secret|signature|sig\b|challenge|token|apikey`)

// A timing difference cannot be asserted reliably in a test, so this one
// reads the product code instead: credentials are compared with
// subtle.ConstantTimeCompare or hmac.Equal (SecretMatches, signing.Verify,
// the challenge check), never with ==, != or bytes.Equal.
func TestCredentialComparisonsAreConstantTime(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var found []string
	var files int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "bin" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "internal/bench") {
			return nil // the bench's baselines are not the product path
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if (n.Op == token.EQL || n.Op == token.NEQ) && (secretOperand(n.X) || secretOperand(n.Y)) && !trivial(n.X) && !trivial(n.Y) {
					found = append(found, fset.Position(n.Pos()).String()+": "+render(n))
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && render(sel) == "bytes.Equal" {
					for _, a := range n.Args {
						if secretOperand(a) {
							found = append(found, fset.Position(n.Pos()).String()+": "+render(n))
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("walked only %d files from %s; is the module root right?", files, root)
	}
	for _, f := range found {
		t.Errorf("credential compared in variable time: %s", f)
	}
}

func secretOperand(e ast.Expr) bool {
	switch e.(type) {
	case *ast.Ident, *ast.SelectorExpr, *ast.IndexExpr, *ast.StarExpr, *ast.CallExpr:
		return credential.MatchString(render(e))
	}
	return false
}

// trivial operands (nil, literals, lengths, error values, actor kinds such
// as audit.ActorAPIKey) leak nothing.
func trivial(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		return e.Name == "nil" || e.Name == "err"
	case *ast.CallExpr:
		if id, ok := e.Fun.(*ast.Ident); ok && (id.Name == "len" || id.Name == "cap") {
			return true
		}
	case *ast.SelectorExpr:
		return strings.HasPrefix(e.Sel.Name, "Err") || strings.HasPrefix(e.Sel.Name, "Reason") || strings.HasPrefix(e.Sel.Name, "Actor")
	}
	return false
}

func render(e ast.Node) string {
	var b strings.Builder
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(n.Name)
		case *ast.BasicLit:
			b.WriteString(n.Value)
		}
		return true
	})
	return b.String()
}
