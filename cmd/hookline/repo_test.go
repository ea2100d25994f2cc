package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// maxTrackedFile bounds a committed file: sources, goldens and docs are far
// smaller; a build output is not.
const maxTrackedFile = 1 << 20

// Build outputs stay out of git: no binary at the root, nothing under bin/,
// no file big enough to be one.
func TestNoBuildOutputsCommitted(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v)", err)
	}
	for _, name := range bytes.Split(bytes.TrimRight(out, "\x00"), []byte{0}) {
		f := string(name)
		if f == "hookline" || strings.HasPrefix(f, "bin/") || strings.HasSuffix(f, ".test") {
			t.Errorf("build output committed: %s", f)
			continue
		}
		if st, err := os.Stat(filepath.Join(root, f)); err == nil && st.Size() > maxTrackedFile {
			t.Errorf("%s is %d bytes: build outputs and bench results stay out of git", f, st.Size())
		}
	}
	ignore, _ := os.ReadFile(filepath.Join(root, ".gitignore"))
	dockerIgnore, _ := os.ReadFile(filepath.Join(root, ".dockerignore"))
	for name, b := range map[string][]byte{".gitignore": ignore, ".dockerignore": dockerIgnore} {
		if !bytes.Contains(b, []byte("/hookline\n")) {
			t.Errorf("%s does not ignore /hookline", name)
		}
	}
}
