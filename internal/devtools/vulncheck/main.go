// Command vulncheck is `make vulncheck` (part of `make lint`): govulncheck
// over the built binaries against the Go vulnerability database. vuln.go.dev
// is not reachable from every build machine, so the database is built
// locally from a pinned golang.org/x/vulndb module (its OSV files, through
// the Go module proxy) with vulndb's own indexdb, and cached.
//
// A finding whose vulnerable code the binary contains fails the check,
// unless .govulncheck-accept lists its id with the reason it cannot be
// fixed yet (e.g. a standard-library fix in a Go release this machine
// cannot install). Findings only in required modules are printed, not fatal.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	db := flag.String("db", ".cache/vulndb", "where the local database is (built when missing)")
	vulndb := flag.String("vulndb", "", "golang.org/x/vulndb version the database is built from")
	govulncheck := flag.String("govulncheck", "govulncheck", "the govulncheck binary")
	accept := flag.String("accept", ".govulncheck-accept", "accepted findings: an id and its reason per line")
	flag.Parse()
	if err := run(*db, *vulndb, *govulncheck, *accept, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(1)
	}
}

func run(dbDir, vulndbVersion, govulncheck, acceptFile string, binaries []string) error {
	if err := ensureDB(dbDir, vulndbVersion); err != nil {
		return err
	}
	accepted, err := readAccepted(acceptFile)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(dbDir)
	if err != nil {
		return err
	}
	var bad []string
	for _, bin := range binaries {
		found, err := scan(govulncheck, "file://"+abs, bin)
		if err != nil {
			return err
		}
		for _, id := range sortedKeys(found) {
			f := found[id]
			reason, ok := accepted[id]
			switch {
			case ok:
				fmt.Printf("%s: %s in %s %s (fixed in %s): accepted — %s\n", bin, id, f.module, f.version, f.fixed, reason)
			default:
				fmt.Printf("%s: %s in %s %s (fixed in %s): %s\n", bin, id, f.module, f.version, f.fixed, f.summary)
				bad = append(bad, id)
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d vulnerabilities reachable in the binaries: upgrade (go get) or, if no fix can be installed here, accept in %s with the reason", len(bad), acceptFile)
	}
	fmt.Println("vulncheck: no unaccepted vulnerability in", strings.Join(binaries, ", "))
	return nil
}

// ensureDB builds the database from the pinned vulndb module's OSV files.
func ensureDB(dir, version string) error {
	if _, err := os.Stat(filepath.Join(dir, "index", "db.json")); err == nil {
		return nil
	}
	if version == "" {
		return errors.New("no database at " + dir + " and no -vulndb version to build one from")
	}
	out, err := exec.Command("go", "mod", "download", "-json", "golang.org/x/vulndb@"+version).Output()
	if err != nil {
		return fmt.Errorf("download golang.org/x/vulndb@%s: %w", version, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return fmt.Errorf("download golang.org/x/vulndb@%s: no directory", version)
	}
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	cmd := exec.Command("go", "run", "golang.org/x/vulndb/cmd/indexdb@"+version, "-vulns", filepath.Join(mod.Dir, "data", "osv"), "-out", tmp)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("indexdb: %w", err)
	}
	_ = os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

func readAccepted(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s: %s is accepted without a reason", path, id)
		}
		out[id] = strings.TrimSpace(reason)
	}
	return out, sc.Err()
}

type finding struct{ module, version, fixed, summary string }

// scan runs govulncheck on a binary and returns the findings whose
// vulnerable symbols it contains.
func scan(govulncheck, db, bin string) (map[string]finding, error) {
	cmd := exec.Command(govulncheck, "-db", db, "-mode", "binary", "-format", "json", bin)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("govulncheck %s: %w", bin, err)
	}
	summaries := map[string]string{}
	found := map[string]finding{}
	dec := json.NewDecoder(&stdout)
	for {
		var msg struct {
			OSV *struct {
				ID      string `json:"id"`
				Summary string `json:"summary"`
			} `json:"osv"`
			Finding *struct {
				OSV          string `json:"osv"`
				FixedVersion string `json:"fixed_version"`
				Trace        []struct {
					Module   string `json:"module"`
					Version  string `json:"version"`
					Function string `json:"function"`
				} `json:"trace"`
			} `json:"finding"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("govulncheck output: %w", err)
		}
		if msg.OSV != nil {
			summaries[msg.OSV.ID] = msg.OSV.Summary
		}
		if f := msg.Finding; f != nil && len(f.Trace) > 0 && f.Trace[0].Function != "" {
			found[f.OSV] = finding{module: f.Trace[0].Module, version: f.Trace[0].Version, fixed: f.FixedVersion}
		}
	}
	for id, f := range found {
		f.summary = summaries[id]
		if f.fixed == "" {
			f.fixed = "no release"
		}
		found[id] = f
	}
	return found, nil
}

func sortedKeys(m map[string]finding) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
