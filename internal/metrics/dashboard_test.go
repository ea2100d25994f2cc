package metrics

// These tests keep deploy/grafana/hookline.json honest. A Grafana panel whose
// query names a metric nobody exports shows "No data" rather than an error, so
// a renamed metric would silently blank the dashboard; here it fails the build
// instead. The dashboard's queries are tokenized, every metric they name is
// looked up in what a real Metrics instance serves on /metrics, and the
// labels they select or group by must exist on those metrics.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hookline/hookline/internal/delivery"
)

const dashboardPath = "../../deploy/grafana/hookline.json"

// datasourceUID is what every panel and target must point at: the dashboard's
// own datasource variable, so an import needs no __inputs mapping and works
// offline against whichever Prometheus the operator picks.
const datasourceUID = "${datasource}"

type grafanaDashboard struct {
	UID           string         `json:"uid"`
	Title         string         `json:"title"`
	SchemaVersion int            `json:"schemaVersion"`
	Panels        []grafanaPanel `json:"panels"`
	Templating    struct {
		List []grafanaVariable `json:"list"`
	} `json:"templating"`
}

type grafanaPanel struct {
	ID         int                `json:"id"`
	Type       string             `json:"type"`
	Title      string             `json:"title"`
	Datasource *grafanaDatasource `json:"datasource"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []grafanaTarget `json:"targets"`
	// Panels holds a row's panels while the row is collapsed; an open row's
	// panels follow it at the top level.
	Panels []grafanaPanel `json:"panels"`
}

type grafanaTarget struct {
	RefID      string             `json:"refId"`
	Expr       string             `json:"expr"`
	Datasource *grafanaDatasource `json:"datasource"`
}

type grafanaDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaVariable struct {
	Name       string             `json:"name"`
	Type       string             `json:"type"`
	Datasource *grafanaDatasource `json:"datasource"`
	// Query is a string for a datasource variable and either a string or
	// {"query": "..."} for a Prometheus query variable, depending on the
	// Grafana version that saved it.
	Query json.RawMessage `json:"query"`
}

func (v grafanaVariable) queryText() (string, error) {
	var s string
	if err := json.Unmarshal(v.Query, &s); err == nil {
		return s, nil
	}
	var o struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &o); err != nil {
		return "", fmt.Errorf("variable %q: query is neither a string nor {query}: %w", v.Name, err)
	}
	return o.Query, nil
}

func loadDashboard(t *testing.T) ([]byte, grafanaDashboard) {
	t.Helper()
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("%s: data after the dashboard object", dashboardPath)
	}
	return raw, d
}

// allPanels returns the rows and the other panels, nested ones included.
func allPanels(d grafanaDashboard) (rows, panels []grafanaPanel) {
	for _, p := range d.Panels {
		if p.Type == "row" {
			rows = append(rows, p)
			panels = append(panels, p.Panels...)
			continue
		}
		panels = append(panels, p)
	}
	return rows, panels
}

type dashboardQuery struct {
	where string // for messages: panel title and refId, or variable name
	expr  string
	// label is label_values' label argument, checked like a grouping label.
	label string
	// variable: a template variable's query lists series rather than
	// charting them, so a counter's raw value is fine there.
	variable bool
}

var labelValuesRE = regexp.MustCompile(`^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

func dashboardQueries(t *testing.T, d grafanaDashboard) []dashboardQuery {
	t.Helper()
	var qs []dashboardQuery
	_, panels := allPanels(d)
	for _, p := range panels {
		for _, tg := range p.Targets {
			qs = append(qs, dashboardQuery{where: fmt.Sprintf("panel %q target %s", p.Title, tg.RefID), expr: tg.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, err := v.queryText()
		if err != nil {
			t.Fatal(err)
		}
		m := labelValuesRE.FindStringSubmatch(q)
		if m == nil {
			t.Fatalf("variable %q: query %q is not label_values(<selector>, <label>)", v.Name, q)
		}
		qs = append(qs, dashboardQuery{where: "variable " + v.Name, expr: m[1], label: m[2], variable: true})
	}
	return qs
}

func TestDashboardIsImportable(t *testing.T) {
	t.Parallel()
	raw, d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard needs a uid and a title (uid %q, title %q)", d.UID, d.Title)
	}
	// schemaVersion 36 is where panels reference data sources by uid.
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d: want ≥ 36", d.SchemaVersion)
	}

	vars := map[string]grafanaVariable{}
	for _, v := range d.Templating.List {
		if _, dup := vars[v.Name]; dup {
			t.Errorf("template variable %q defined twice", v.Name)
		}
		vars[v.Name] = v
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" {
		t.Errorf("want a template variable datasource of type datasource, got %+v", v)
	} else if q, _ := v.queryText(); q != "prometheus" {
		t.Errorf("datasource variable picks %q data sources, want prometheus", q)
	}

	checkDS := func(where string, ds *grafanaDatasource) {
		if ds == nil || ds.Type != "prometheus" || ds.UID != datasourceUID {
			t.Errorf("%s: datasource %+v, want prometheus %s", where, ds, datasourceUID)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			checkDS("variable "+v.Name, v.Datasource)
		}
	}

	rows, panels := allPanels(d)
	if len(panels) < 10 {
		t.Errorf("%d panels, want ≥ 10", len(panels))
	}
	ids := map[int]string{}
	for _, p := range append(slices.Clone(rows), panels...) {
		if p.Title == "" {
			t.Errorf("panel %d (%s) has no title", p.ID, p.Type)
		}
		if prev, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("panel %q: id %d missing or already used by %q", p.Title, p.ID, prev)
		}
		ids[p.ID] = p.Title
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 || g.Y < 0 {
			t.Errorf("panel %q: gridPos %+v outside Grafana's 24-column grid", p.Title, g)
		}
	}
	for _, r := range rows {
		if len(r.Targets) > 0 {
			t.Errorf("row %q has targets", r.Title)
		}
	}
	for _, p := range panels {
		if p.Type == "row" {
			t.Errorf("row %q nested in a row", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no targets", p.Title)
		}
		checkDS(fmt.Sprintf("panel %q", p.Title), p.Datasource)
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("panel %q: refId %q missing or repeated", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q target %s: empty expr", p.Title, tg.RefID)
			}
			checkDS(fmt.Sprintf("panel %q target %s", p.Title, tg.RefID), tg.Datasource)
		}
	}

	// Round trip through a generic value: nothing lost or reinterpreted.
	var v1, v2 any
	if err := json.Unmarshal(raw, &v1); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(v1)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &v2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v1, v2) {
		t.Error("dashboard JSON does not round-trip")
	}
	// encoding/json keeps the last of duplicate keys; Grafana may not, and a
	// hand edit that duplicates "expr" would hide the query under test.
	if err := checkNoDuplicateKeys(json.NewDecoder(bytes.NewReader(raw))); err != nil {
		t.Error(err)
	}
}

// checkNoDuplicateKeys walks one JSON value and reports the first object with
// a repeated key.
func checkNoDuplicateKeys(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				return fmt.Errorf("duplicate key %q at offset %d", key, dec.InputOffset())
			}
			seen[key] = true
			if err := checkNoDuplicateKeys(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if err := checkNoDuplicateKeys(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	return err
}

// targetLabels are attached by Prometheus when it scrapes, so they are never
// on /metrics but every series has them.
var targetLabels = []string{"job", "instance"}

// counterFuncs are how a counter (or a histogram's _bucket/_sum/_count) is
// charted: its raw value only says how long the process has run.
var counterFuncs = []string{"rate", "irate", "increase"}

func TestDashboardQueriesExportedMetrics(t *testing.T) {
	t.Parallel()
	_, d := loadDashboard(t)
	fams := exportedFamilies(t)
	charted := map[string]bool{}

	for _, q := range dashboardQueries(t, d) {
		refs, err := parsePromQL(q.expr)
		if err != nil {
			t.Errorf("%s: %v in %q", q.where, err, q.expr)
			continue
		}
		if len(refs.metrics) == 0 {
			t.Errorf("%s: no metric in %q", q.where, q.expr)
		}
		available := slices.Clone(targetLabels)
		for _, r := range refs.metrics {
			fam, suffix, ok := resolveMetric(r.name, fams)
			if !ok {
				t.Errorf("%s: %s is not a metric Hookline exports", q.where, r.name)
				continue
			}
			charted[fam.GetName()] = true
			labels := familyLabels(fam)
			if suffix == "_bucket" {
				labels = append(labels, "le")
			}
			available = append(available, labels...)
			for _, l := range r.matchers {
				if !slices.Contains(labels, l) && !slices.Contains(targetLabels, l) {
					t.Errorf("%s: %s has no label %q (has %v)", q.where, r.name, l, labels)
				}
			}
			counterish := fam.GetType() == dto.MetricType_COUNTER || suffix != ""
			underRate := slices.Contains(counterFuncs, r.fn)
			switch {
			case q.variable: // lists series, charts nothing
			case counterish && !underRate:
				t.Errorf("%s: counter series %s outside rate/irate/increase", q.where, r.name)
			case fam.GetType() == dto.MetricType_GAUGE && underRate:
				t.Errorf("%s: gauge %s under %s()", q.where, r.name, r.fn)
			}
		}
		grouping := refs.grouping
		if q.label != "" {
			grouping = append(grouping, q.label)
		}
		for _, l := range grouping {
			if !slices.Contains(available, l) {
				t.Errorf("%s: grouping label %q is on none of the queried metrics", q.where, l)
			}
		}
	}

	// The reverse: each Hookline metric has a panel, so a new one the test
	// exercises cannot be left off the dashboard unnoticed.
	for name := range fams {
		if strings.HasPrefix(name, "hookline_") && !charted[name] {
			t.Errorf("%s is exported but no panel charts it", name)
		}
	}
}

// resolveMetric finds the family a series name belongs to. A histogram's
// series are its _bucket, _sum and _count; the bare family name of a
// histogram is not a series, so it does not resolve.
func resolveMetric(name string, fams map[string]*dto.MetricFamily) (*dto.MetricFamily, string, bool) {
	if f, ok := fams[name]; ok && f.GetType() != dto.MetricType_HISTOGRAM && f.GetType() != dto.MetricType_SUMMARY {
		return f, "", true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		f, ok := fams[base]
		if !ok {
			continue
		}
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			return f, suffix, true
		case dto.MetricType_SUMMARY:
			if suffix != "_bucket" {
				return f, suffix, true
			}
		}
	}
	return nil, "", false
}

func familyLabels(f *dto.MetricFamily) []string {
	var out []string
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if !slices.Contains(out, l.GetName()) {
				out = append(out, l.GetName())
			}
		}
	}
	return out
}

// sdkMetrics are the Temporal SDK metrics the dashboard charts, as the SDK
// names them (TestSDKMetricNamesAreTheSDKs holds this list to the SDK in
// go.mod). The SDK only emits them from a running worker, so the test emits
// them itself through TemporalHandler, with the tags the SDK puts on them.
var sdkMetrics = []struct {
	kind string // counter, timer or gauge
	name string
	tags []string // beyond the SDK's root tags
}{
	{"timer", "temporal_workflow_task_schedule_to_start_latency", nil},
	{"timer", "temporal_workflow_task_execution_latency", nil},
	{"timer", "temporal_workflow_endtoend_latency", nil},
	{"timer", "temporal_activity_schedule_to_start_latency", nil},
	{"timer", "temporal_activity_execution_latency", nil},
	{"counter", "temporal_workflow_task_execution_failed", []string{"failure_reason"}},
	{"counter", "temporal_activity_execution_failed", nil},
	{"counter", "temporal_workflow_completed", nil},
	{"counter", "temporal_workflow_failed", nil},
	{"gauge", "temporal_worker_task_slots_available", nil},
	{"gauge", "temporal_worker_task_slots_used", nil},
	{"counter", "temporal_request_failure", []string{"operation", "status_code"}},
	{"timer", "temporal_request_latency", []string{"operation"}},
}

// sdkRootTags are the tags the SDK's client puts on every metric
// (metrics.RootTags in the SDK).
var sdkRootTags = []string{"namespace", "client_name", "worker_type", "workflow_type", "activity_type", "task_queue"}

// exportedFamilies is what /metrics serves once every Hookline metric has a
// series: a counter vector without one is not exported at all.
func exportedFamilies(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	m := New()
	m.ObserveRequest("publish-event", 202, 5*time.Millisecond)
	m.ObserveAttempt("2xx", 30*time.Millisecond)
	m.ObserveFinal(delivery.Succeeded, 2*time.Second)
	m.ObserveGated("breaker")
	m.ObserveBreaker(true)
	m.ObserveRetrying("start workflow")
	m.ObserveAutoDisabled()
	m.ObserveIngestRejected("invalid")

	// The backlog gauge is counted in Postgres on a ticker. pgxpool connects
	// lazily, and a pool that cannot connect still exports the gauge (as -1),
	// which is all a name check needs.
	pool, err := pgxpool.New(context.Background(), "postgres://hookline@127.0.0.1:1/hookline?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	m.WatchBacklog(t.Context(), pool, time.Hour)

	for _, sm := range sdkMetrics {
		tags := map[string]string{}
		for _, k := range append(slices.Clone(sdkRootTags), sm.tags...) {
			tags[k] = "x"
		}
		h := m.TemporalHandler().WithTags(tags)
		switch sm.kind {
		case "counter":
			h.Counter(sm.name).Inc(1)
		case "timer":
			h.Timer(sm.name).Record(time.Millisecond)
		case "gauge":
			h.Gauge(sm.name).Update(1)
		default:
			t.Fatalf("sdkMetrics: %s has kind %q", sm.name, sm.kind)
		}
	}

	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(scrape(t, m)))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// TestSDKMetricNamesAreTheSDKs reads the SDK's metric name constants from
// the module go.mod selects, so sdkMetrics (and with it the dashboard) cannot
// drift from what the SDK emits. It needs the go command and the module
// source; without them (a vendored or toolchain-less run) it skips.
func TestSDKMetricNamesAreTheSDKs(t *testing.T) {
	t.Parallel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("go.temporal.io/sdk source not found (%v)", err)
	}
	file := filepath.Join(dir, "internal", "common", "metrics", "constants.go")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Type-checking evaluates constants like TemporalRequest + "_failure".
	pkg, err := (&types.Config{}).Check("metrics", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, n := range pkg.Scope().Names() {
		if c, ok := pkg.Scope().Lookup(n).(*types.Const); ok && c.Val().Kind() == constant.String {
			names[constant.StringVal(c.Val())] = true
		}
	}
	for _, sm := range sdkMetrics {
		if !names[sm.name] {
			t.Errorf("%s is not a metric name in %s", sm.name, file)
		}
	}
}

// promRefs is what parsePromQL finds in one expression.
type promRefs struct {
	metrics  []metricRef
	grouping []string // labels in by/without/on/ignoring/group_left/group_right
}

type metricRef struct {
	name     string
	matchers []string // label names in its {…}
	fn       string   // innermost enclosing function or aggregation, "" if none
}

// promFuncs and promAggregations are what the dashboard may call. A name
// outside them is an error rather than guessed at, which also catches a
// misspelt function.
var (
	promFuncs = []string{
		"abs", "absent", "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
		"count_over_time", "delta", "deriv", "floor", "histogram_quantile", "idelta", "increase", "irate",
		"label_replace", "last_over_time", "max_over_time", "min_over_time", "quantile_over_time", "rate",
		"resets", "round", "scalar", "sort", "sort_desc", "sum_over_time", "time", "timestamp", "vector",
	}
	promAggregations = []string{
		"avg", "bottomk", "count", "count_values", "group", "max", "min", "quantile", "stddev", "stdvar",
		"sum", "topk",
	}
)

// promGrouping take a parenthesised label list.
var promGrouping = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

// promKeywords are identifiers that are neither metrics nor functions.
var promKeywords = []string{"and", "or", "unless", "bool", "offset", "inf", "nan", "group_left", "group_right"}

// parsePromQL finds the metric names in expr and the labels it matches or
// groups on. It is a tokenizer, not a parser: enough for dashboard queries,
// strict where it does not understand (an unknown function, a selector
// without a metric name).
func parsePromQL(expr string) (promRefs, error) {
	var refs promRefs
	var stack []string // open parentheses: function name or "" for grouping
	isIdentStart := func(c byte) bool { return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
	isIdent := func(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }
	skipSpace := func(i int) int {
		for i < len(expr) && strings.ContainsRune(" \t\r\n", rune(expr[i])) {
			i++
		}
		return i
	}
	// skipString returns the index after the literal starting at i.
	skipString := func(i int) (int, error) {
		q := expr[i]
		for j := i + 1; j < len(expr); j++ {
			switch {
			case expr[j] == '\\' && q != '`':
				j++
			case expr[j] == q:
				return j + 1, nil
			}
		}
		return 0, errors.New("unterminated string")
	}
	// labelList reads "( a, b )" at i, returning the names and the index after.
	labelList := func(i int) ([]string, int, error) {
		end := strings.IndexByte(expr[i:], ')')
		if end < 0 {
			return nil, 0, errors.New("unterminated label list")
		}
		var names []string
		for _, n := range strings.Split(expr[i+1:i+end], ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
		return names, i + end + 1, nil
	}
	// matchers reads "{ l op "v", … }" at i, returning the label names.
	matchers := func(i int) ([]string, int, error) {
		var names []string
		for i++; i < len(expr); {
			switch c := expr[i]; {
			case c == '}':
				return names, i + 1, nil
			case c == '"' || c == '\'' || c == '`':
				j, err := skipString(i)
				if err != nil {
					return nil, 0, err
				}
				i = j
			case isIdentStart(c):
				j := i
				for j < len(expr) && isIdent(expr[j]) {
					j++
				}
				names = append(names, expr[i:j])
				i = j
			default:
				i++
			}
		}
		return nil, 0, errors.New("unterminated label matchers")
	}
	wordAt := func(i int) string {
		j := i
		for j < len(expr) && isIdent(expr[j]) {
			j++
		}
		return expr[i:j]
	}
	enclosing := func() string {
		for k := len(stack) - 1; k >= 0; k-- {
			if stack[k] != "" {
				return stack[k]
			}
		}
		return ""
	}

	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			j, err := skipString(i)
			if err != nil {
				return refs, err
			}
			i = j
		case c == '[': // range or subquery: durations and $__ variables
			end := strings.IndexByte(expr[i:], ']')
			if end < 0 {
				return refs, errors.New("unterminated range")
			}
			i += end + 1
		case c == '$': // Grafana variable: $name, ${name}, $__rate_interval
			i++
			if i < len(expr) && expr[i] == '{' {
				end := strings.IndexByte(expr[i:], '}')
				if end < 0 {
					return refs, errors.New("unterminated ${variable}")
				}
				i += end + 1
				break
			}
			for i < len(expr) && isIdent(expr[i]) {
				i++
			}
		case '0' <= c && c <= '9' || c == '.': // number or duration
			for i < len(expr) && (isIdent(expr[i]) || expr[i] == '.') {
				i++
			}
		case c == '{':
			return refs, errors.New("selector without a metric name")
		case c == '(':
			stack = append(stack, "")
			i++
		case c == ')':
			if len(stack) == 0 {
				return refs, errors.New("unbalanced )")
			}
			stack = stack[:len(stack)-1]
			i++
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdent(expr[j]) {
				j++
			}
			word := expr[i:j]
			next := skipSpace(j)
			switch {
			case slices.Contains(promGrouping, word) && next < len(expr) && expr[next] == '(':
				names, k, err := labelList(next)
				if err != nil {
					return refs, err
				}
				refs.grouping = append(refs.grouping, names...)
				i = k
			case slices.Contains(promAggregations, word) && (wordAt(next) == "by" || wordAt(next) == "without"):
				// "sum by (l) (…)": the clause comes between the
				// aggregation and its parenthesis.
				names, k, err := labelList(skipSpace(next + len(wordAt(next))))
				if err != nil {
					return refs, err
				}
				refs.grouping = append(refs.grouping, names...)
				if k = skipSpace(k); k >= len(expr) || expr[k] != '(' {
					return refs, fmt.Errorf("%s without its (", word)
				}
				stack = append(stack, word)
				i = k + 1
			case next < len(expr) && expr[next] == '(':
				if !slices.Contains(promFuncs, word) && !slices.Contains(promAggregations, word) {
					return refs, fmt.Errorf("unknown function %s", word)
				}
				stack = append(stack, word)
				i = next + 1
			case slices.Contains(promKeywords, word) || slices.Contains(promGrouping, word):
				i = j
			case slices.Contains(promAggregations, word) || slices.Contains(promFuncs, word):
				return refs, fmt.Errorf("%s without its (", word)
			default:
				ref := metricRef{name: word, fn: enclosing()}
				i = j
				if next < len(expr) && expr[next] == '{' {
					names, k, err := matchers(next)
					if err != nil {
						return refs, err
					}
					ref.matchers, i = names, k
				}
				refs.metrics = append(refs.metrics, ref)
			}
		default:
			i++
		}
	}
	if len(stack) != 0 {
		return refs, errors.New("unbalanced (")
	}
	return refs, nil
}

// TestParsePromQL pins what the tokenizer counts as a metric, since the
// dashboard check is only as good as it.
func TestParsePromQL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		expr     string
		metrics  []metricRef
		grouping []string
		err      string
	}{
		{
			expr:     `histogram_quantile(0.99, sum by (le, operation) (rate(a_bucket{job=~"$job",status!="2xx"}[$__rate_interval])))`,
			metrics:  []metricRef{{name: "a_bucket", matchers: []string{"job", "status"}, fn: "rate"}},
			grouping: []string{"le", "operation"},
		},
		{
			expr: `(sum(rate(a_total{s=~"5.."}[5m])) or vector(0)) / sum without (x) (rate(a_total[5m]))`,
			metrics: []metricRef{
				{name: "a_total", matchers: []string{"s"}, fn: "rate"},
				{name: "a_total", fn: "rate"},
			},
			grouping: []string{"x"},
		},
		{
			expr: `sum(rate(a[1m])) by (op) / on (op) group_left (team) max by (op, team) (b:rule)`,
			metrics: []metricRef{
				{name: "a", fn: "rate"},
				{name: "b:rule", fn: "max"},
			},
			grouping: []string{"op", "op", "team", "op", "team"},
		},
		{
			// Strings may hold braces, quotes and words; ranges hold durations.
			expr:    `max_over_time(g{l="} by (x) \"q\" rate(", m='it\'s'}[1h:5m] offset 10m)`,
			metrics: []metricRef{{name: "g", matchers: []string{"l", "m"}, fn: "max_over_time"}},
		},
		{
			expr:    `increase(c[${__range}]) > bool 1e3 and g`,
			metrics: []metricRef{{name: "c", fn: "increase"}, {name: "g"}},
		},
		{
			expr:     `count without(x)(a) + bytes`,
			metrics:  []metricRef{{name: "a", fn: "count"}, {name: "bytes"}},
			grouping: []string{"x"},
		},
		{expr: `sum bytes`, err: "sum without its ("},
		{expr: `rat(a[5m])`, err: "unknown function rat"},
		{expr: `sum by (x) a`, err: "sum without its ("},
		{expr: `{__name__="a"}`, err: "selector without a metric name"},
		{expr: `sum(rate(a[5m])`, err: "unbalanced ("},
		{expr: `a{l="x}`, err: "unterminated string"},
	} {
		got, err := parsePromQL(tc.expr)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: err %v, want %q", tc.expr, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if !reflect.DeepEqual(got.metrics, tc.metrics) || !slices.Equal(got.grouping, tc.grouping) {
			t.Errorf("%s:\n got %+v %v\nwant %+v %v", tc.expr, got.metrics, got.grouping, tc.metrics, tc.grouping)
		}
	}
}
