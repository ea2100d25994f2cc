package devstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TemporalOptions configure the embedded Temporal server.
type TemporalOptions struct {
	// Store is "postgres" (default) or "sqlite" (a file under DataDir; one
	// connection, ~10 workflows/s: a fallback only).
	Store string
	// PostgresServerURL is the Postgres server; Temporal gets databases of
	// its own on it, named after Hookline's (TemporalDatabases).
	PostgresServerURL string
	DatabaseURL       string // Hookline's database
	DataDir           string
	FrontendAddr      string // host:port of the gRPC frontend, e.g. 127.0.0.1:7233
	UIAddr            string // host:port of the Web UI; empty for none
	Namespace         string
	SearchAttributes  []string // custom Keyword attributes to register
	HistoryShards     int32
	// Retention of closed workflows in the namespace (default 72 h); dev
	// accepts down to a minute, so a soak can show storage levelling off.
	Retention time.Duration
	Logger    *slog.Logger
}

// Temporal is a running embedded server (and UI).
type Temporal struct {
	server   temporal.Server
	ui       *uiserver.Server
	HostPort string
	UIURL    string
}

const clusterName = "active"

// StartTemporal sets up persistence (creating and migrating its databases),
// starts the server and UI, and registers the namespace and search attributes.
func StartTemporal(ctx context.Context, o TemporalOptions) (*Temporal, error) {
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.HistoryShards == 0 {
		o.HistoryShards = 4
	}
	if o.Retention == 0 {
		o.Retention = DefaultTemporalRetention
	}
	host, portStr, err := net.SplitHostPort(o.FrontendAddr)
	if err != nil {
		return nil, fmt.Errorf("temporal frontend address: %w", err)
	}
	port, _ := strconv.Atoi(portStr)
	if err := portFree(o.FrontendAddr); err != nil {
		return nil, fmt.Errorf("temporal frontend: %w", err)
	}

	persistence, err := persistenceFor(ctx, o)
	if err != nil {
		return nil, err
	}
	cfg, err := serverConfig(host, port, persistence)
	if err != nil {
		return nil, err
	}
	srv, err := newServer(cfg, host, &serverLogger{l: o.Logger, floor: slog.LevelWarn}, o.Retention)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	t := &Temporal{server: srv, HostPort: o.FrontendAddr}
	if err := registerNamespace(ctx, t.HostPort, o.Namespace, o.Retention, o.SearchAttributes); err != nil {
		t.Stop()
		return nil, err
	}
	if o.UIAddr != "" {
		if err := t.startUI(o); err != nil {
			t.Stop()
			return nil, err
		}
	}
	return t, nil
}

func persistenceFor(ctx context.Context, o TemporalOptions) (config.Persistence, error) {
	switch o.Store {
	case "", "postgres":
		return postgresPersistence(ctx, o)
	case "sqlite":
		return sqlitePersistence(o)
	}
	return config.Persistence{}, fmt.Errorf("unknown temporal store %q (postgres or sqlite)", o.Store)
}

// newServer builds the server with every service on this host.
func newServer(cfg *config.Config, host string, logger *serverLogger, retention time.Duration) (temporal.Server, error) {
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, err
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, err
	}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range cfg.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicConfig(retention)),
	)
	if err != nil {
		return nil, fmt.Errorf("create temporal server: %w", err)
	}
	return srv, nil
}

// DefaultTemporalRetention is how long the embedded server keeps closed workflows.
const DefaultTemporalRetention = 72 * time.Hour

// dynamicConfig is the embedded server's dynamic configuration.
func dynamicConfig(retention time.Duration) dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// A dev namespace may keep closed workflows for as little as a
		// minute, and their deletion is spread over at most a quarter of
		// the retention (30 min by default).
		dynamicconfig.NamespaceMinRetentionLocal.Key():   time.Minute,
		dynamicconfig.RetentionTimerJitterDuration.Key(): min(30*time.Minute, retention/4),
		// Pick up the namespace and search attributes registered at
		// first start within seconds rather than the default 10 s.
		dynamicconfig.NamespaceCacheRefreshInterval.Key():                2 * time.Second,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 16384,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 200,
		// Dispatch tasks fairly across fairness keys (Hookline's: the
		// tenant), so one tenant's backlog does not delay another's.
		dynamicconfig.MatchingEnableFairness.Key(): true,
		// One matching host: partitions of a task queue would only forward
		// tasks and polls between themselves.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
	}
}

// Stop stops the UI and the server.
func (t *Temporal) Stop() {
	if t.ui != nil {
		t.ui.Stop()
	}
	_ = t.server.Stop()
}

func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s is in use (another hookline dev or Temporal server?)", addr)
	}
	return l.Close()
}

func (t *Temporal) startUI(o TemporalOptions) error {
	host, portStr, err := net.SplitHostPort(o.UIAddr)
	if err != nil {
		return fmt.Errorf("ui address: %w", err)
	}
	// The UI server exits the process when it cannot listen: check first.
	if err := portFree(o.UIAddr); err != nil {
		return fmt.Errorf("temporal ui: %w", err)
	}
	port, _ := strconv.Atoi(portStr)
	t.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host: host, Port: port, TemporalGRPCAddress: t.HostPort, EnableUI: true,
		DefaultNamespace: o.Namespace, CORS: uiconfig.CORS{CookieInsecure: true},
		HideLogs: true, DisableNewsFetch: true,
	}))
	go func() { _ = t.ui.Start() }() // returns when Stop closes it
	t.UIURL = "http://" + o.UIAddr
	return nil
}

func serverConfig(host string, frontendPort int, p config.Persistence) (*config.Config, error) {
	cfg := &config.Config{Persistence: p}
	cfg.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host}
	frontendHTTP, err := FreePort()
	if err != nil {
		return nil, err
	}
	cfg.Services = map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		var svc config.Service
		svc.RPC.BindOnIP = host
		if name == "frontend" {
			svc.RPC.GRPCPort, svc.RPC.HTTPPort = frontendPort, frontendHTTP
		} else if svc.RPC.GRPCPort, err = FreePort(); err != nil {
			return nil, err
		}
		cfg.Services[name] = svc
	}
	cfg.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10, MasterClusterName: clusterName, CurrentClusterName: clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{clusterName: {
			Enabled: true, InitialFailoverVersion: 1,
			RPCAddress:  net.JoinHostPort(host, strconv.Itoa(frontendPort)),
			HTTPAddress: net.JoinHostPort(host, strconv.Itoa(frontendHTTP)),
		}},
	}
	cfg.DCRedirectionPolicy.Policy = "noop"
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	cfg.PublicClient.HostPort = net.JoinHostPort(host, strconv.Itoa(frontendPort))
	return cfg, nil
}

func postgresPersistence(ctx context.Context, o TemporalOptions) (config.Persistence, error) {
	u, err := url.Parse(o.PostgresServerURL)
	if err != nil {
		return config.Persistence{}, errors.New("postgres server URL is not a URL")
	}
	pw, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	sqlCfg := func(db string, conns int) *config.SQL {
		return &config.SQL{
			PluginName: postgresql.PluginNamePGX, DatabaseName: db,
			ConnectAddr: net.JoinHostPort(u.Hostname(), port), ConnectProtocol: "tcp",
			User: u.User.Username(), Password: pw,
			MaxConns: conns, MaxIdleConns: conns, MaxConnLifetime: time.Hour,
		}
	}
	names := TemporalDatabases(o.DatabaseURL)
	main, vis := sqlCfg(names[0], 40), sqlCfg(names[1], 10)
	for _, s := range []struct {
		cfg    *config.SQL
		schema string
	}{{main, "postgresql/v12/temporal"}, {vis, "postgresql/v12/visibility"}} {
		if err := EnsureDatabase(ctx, o.PostgresServerURL, s.cfg.DatabaseName); err != nil {
			return config.Persistence{}, err
		}
		if err := migrateTemporalSchema(s.cfg, s.schema, o.Logger); err != nil {
			return config.Persistence{}, fmt.Errorf("temporal schema %s: %w", s.cfg.DatabaseName, err)
		}
	}
	return config.Persistence{
		DefaultStore: "default", VisibilityStore: "visibility", NumHistoryShards: o.HistoryShards,
		DataStores: map[string]config.DataStore{"default": {SQL: main}, "visibility": {SQL: vis}},
	}, nil
}

// migrateTemporalSchema does what temporal-sql-tool setup-schema -v 0.0 and
// update-schema do, from the schema files embedded in the server module.
func migrateTemporalSchema(cfg *config.SQL, schemaName string, log *slog.Logger) error {
	logger := &serverLogger{l: log, floor: slog.LevelWarn}
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ReadSchemaVersion(); err != nil {
		if err := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger).Run(); err != nil {
			return err
		}
	}
	return schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{SchemaName: schemaName}, logger).Run()
}

func sqlitePersistence(o TemporalOptions) (config.Persistence, error) {
	file := filepath.Join(o.DataDir, "temporal.sqlite")
	sqlCfg := &config.SQL{PluginName: sqliteplugin.PluginName, DatabaseName: file, ConnectAttributes: map[string]string{"mode": "rwc"}}
	if err := sqliteschema.SetupSchema(sqlCfg); err != nil && !isAlreadySetUp(err) {
		return config.Persistence{}, fmt.Errorf("sqlite schema: %w", err)
	}
	return config.Persistence{
		DefaultStore: "sqlite", VisibilityStore: "sqlite", NumHistoryShards: 1,
		DataStores: map[string]config.DataStore{"sqlite": {SQL: sqlCfg}},
	}, nil
}

func isAlreadySetUp(err error) bool {
	return strings.Contains(err.Error(), "already exists")
}

// registerNamespace creates the namespace and search attributes if missing,
// then waits until the frontend sees them.
func registerNamespace(ctx context.Context, hostPort, ns string, retention time.Duration, attrs []string) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort, Namespace: ns, Logger: quietSDKLogger{}})
	if err != nil {
		return fmt.Errorf("dial embedded temporal: %w", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(retention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	switch {
	case errors.As(err, &exists):
		if err := ensureRetention(ctx, c, ns, retention); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("register namespace %s: %w", ns, err)
	}
	want := map[string]enumspb.IndexedValueType{}
	for _, a := range attrs {
		want[a] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	for {
		err := ensureSearchAttributes(ctx, c, ns, want)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("register search attributes: %w", err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// ensureRetention updates an existing namespace's retention when it differs.
func ensureRetention(ctx context.Context, c client.Client, ns string, retention time.Duration) error {
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
	if err != nil {
		return fmt.Errorf("describe namespace %s: %w", ns, err)
	}
	if desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() == retention {
		return nil
	}
	cfg := desc.GetConfig()
	cfg.WorkflowExecutionRetentionTtl = durationpb.New(retention)
	if _, err := c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{Namespace: ns, Config: cfg}); err != nil {
		return fmt.Errorf("set retention of namespace %s: %w", ns, err)
	}
	return nil
}

func ensureSearchAttributes(ctx context.Context, c client.Client, ns string, want map[string]enumspb.IndexedValueType) error {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return err
	}
	missing := map[string]enumspb.IndexedValueType{}
	for k, v := range want {
		if _, ok := have.CustomAttributes[k]; !ok {
			missing[k] = v
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: ns, SearchAttributes: missing,
	}); err != nil {
		var exists *serviceerror.AlreadyExists
		if !errors.As(err, &exists) {
			return err
		}
	}
	return errors.New("search attributes not visible yet")
}

// quietSDKLogger drops the SDK client's logs during setup.
type quietSDKLogger struct{}

func (quietSDKLogger) Debug(string, ...any) {}
func (quietSDKLogger) Info(string, ...any)  {}
func (quietSDKLogger) Warn(string, ...any)  {}
func (quietSDKLogger) Error(string, ...any) {}

// TemporalDatabases names the embedded Temporal's databases after Hookline's
// database in databaseURL (hookline → hookline_temporal,
// hookline_temporal_visibility), hashing the prefix when the names would pass
// Postgres's 63-byte identifier limit.
func TemporalDatabases(databaseURL string) []string {
	name := DatabaseName(databaseURL)
	if len(name)+len("_temporal_visibility") > 63 {
		sum := sha256.Sum256([]byte(name))
		name = "hookline_" + hex.EncodeToString(sum[:6])
	}
	return []string{name + "_temporal", name + "_temporal_visibility"}
}

// DatabaseName is the database databaseURL names ("hookline" when it names none).
func DatabaseName(databaseURL string) string {
	if u, err := url.Parse(databaseURL); err == nil && strings.Trim(u.Path, "/") != "" {
		return strings.Trim(u.Path, "/")
	}
	return "hookline"
}
