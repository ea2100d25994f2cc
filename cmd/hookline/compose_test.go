package main

import (
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/workflows"
)

// passwordRef is how the compose file must take the database password.
const passwordRef = "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     any               `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Expose      []string          `yaml:"expose"`
		DependsOn   map[string]any    `yaml:"depends_on"`
	} `yaml:"services"`
}

// No Docker engine runs here, so the compose file is checked statically: it
// parses, every Hookline service gets the settings the binary needs and only
// settings it knows, and addresses and ports line up.
func TestDockerCompose(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	known := map[string]bool{}
	for _, o := range config.Options(&config.Config{}) {
		known[o.Env] = true
	}
	for _, name := range []string{"migrate", "api", "worker"} {
		svc, ok := c.Services[name]
		if !ok {
			t.Fatalf("service %s missing", name)
		}
		for _, req := range []string{"DATABASE_URL", "HOOKLINE_ENCRYPTION_KEY", "HOOKLINE_ADMIN_JWT_SECRET", "HOOKLINE_TEMPORAL_ADDRESS"} {
			if svc.Environment[req] == "" {
				t.Errorf("%s: %s not set", name, req)
			}
		}
		for k := range svc.Environment {
			if !known[k] {
				t.Errorf("%s: %s is not a Hookline setting", name, k)
			}
		}
		u, err := url.Parse(strings.ReplaceAll(svc.Environment["DATABASE_URL"], passwordRef, "x"))
		if err != nil || c.Services[u.Hostname()].Image == "" {
			t.Errorf("%s: DATABASE_URL host is not a compose service", name)
		}
		host, port, _ := net.SplitHostPort(svc.Environment["HOOKLINE_TEMPORAL_ADDRESS"])
		if tsvc, ok := c.Services[host]; !ok || !slices.Contains(tsvc.Expose, port) {
			t.Errorf("%s: HOOKLINE_TEMPORAL_ADDRESS does not point at the temporal service's port", name)
		}
	}
	// Temporal's frontend and UI have no authentication: never published on
	// every interface. The frontend is not published at all.
	if ports := c.Services["temporal"].Ports; len(ports) > 0 {
		t.Errorf("temporal publishes %v: anyone reaching it could publish as any tenant", ports)
	}
	for name, svc := range c.Services {
		for _, p := range svc.Ports {
			if name != "api" && !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %s on every interface", name, p)
			}
		}
	}
	// The database password has no default.
	if strings.Contains(string(raw), "POSTGRES_PASSWORD:-") || !strings.Contains(string(raw), passwordRef) {
		t.Error("POSTGRES_PASSWORD must be required (${POSTGRES_PASSWORD:?...}), not defaulted")
	}
	_, apiPort, _ := net.SplitHostPort(c.Services["api"].Environment["HOOKLINE_HTTP_ADDR"])
	if !slices.ContainsFunc(c.Services["api"].Ports, func(p string) bool { return strings.HasSuffix(p, ":"+apiPort) }) {
		t.Errorf("api publishes %v, but listens on %s", c.Services["api"].Ports, apiPort)
	}
	setup, _ := yaml.Marshal(c.Services["temporal-namespace"].Command)
	for _, sa := range workflows.SearchAttributeNames() {
		if !strings.Contains(string(setup), sa) {
			t.Errorf("search attribute %s is not registered by temporal-namespace", sa)
		}
	}
}
