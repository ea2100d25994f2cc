package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// What a phase costs, read before and after it: CPU of the hookline process,
// of the bench process (the floor's worker runs here) and of Postgres; bytes
// in Hookline's and Temporal's tables; rows Temporal wrote to its history
// and visibility tables.

// statsSettle is how long Postgres backends may hold table statistics before
// reporting them (PGSTAT_IDLE_INTERVAL is 10 s): snapshots wait this long
// after load so every row written is counted.
const statsSettle = 11 * time.Second

type snapshot struct {
	devCPU, selfCPU, pgCPU       time.Duration
	hooklineBytes, temporalBytes int64
	// Rows written (inserted, updated or deleted).
	historyWrites, visibilityWrites, temporalWrites int64
}

type costs struct {
	hookline, temporal, visibility *pgxpool.Pool
	postmaster                     int // 0 when Postgres's processes cannot be read
}

// snapshot reads the counters around a phase. Before a phase it first waits
// for earlier statistics to arrive; after one it reads CPU at once (idle
// time is not the phase's) and table statistics once they have arrived.
func (r *run) snapshot(ctx context.Context, afterPhase bool) (snapshot, error) {
	settle := func() error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(statsSettle):
			return nil
		}
	}
	var s snapshot
	if !afterPhase {
		if err := settle(); err != nil {
			return s, err
		}
	}
	s.devCPU, _ = cpuTime(r.devPID)
	s.selfCPU, _ = cpuTime(os.Getpid())
	s.pgCPU = postgresCPU(r.cost.postmaster)
	if afterPhase {
		if err := settle(); err != nil {
			return s, err
		}
	}
	const size = `SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint FROM pg_stat_user_tables`
	const writes = `SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_user_tables WHERE $1 = '' OR relname = $1`
	var tb, vb, tw, vw int64
	for _, q := range []struct {
		pool *pgxpool.Pool
		sql  string
		arg  []any
		dst  *int64
	}{
		{r.cost.hookline, size, nil, &s.hooklineBytes},
		{r.cost.temporal, size, nil, &tb},
		{r.cost.visibility, size, nil, &vb},
		{r.cost.temporal, writes, []any{"history_node"}, &s.historyWrites},
		{r.cost.visibility, writes, []any{"executions_visibility"}, &s.visibilityWrites},
		{r.cost.temporal, writes, []any{""}, &tw},
		{r.cost.visibility, writes, []any{""}, &vw},
	} {
		if err := q.pool.QueryRow(ctx, q.sql, q.arg...).Scan(q.dst); err != nil {
			return s, fmt.Errorf("database statistics: %w", err)
		}
	}
	s.temporalBytes, s.temporalWrites = tb+vb, tw+vw
	return s, nil
}

// postgresCPU is the CPU time of the Postgres server: the postmaster, its
// live children (the backends) and the children it has reaped.
func postgresCPU(postmaster int) time.Duration {
	if postmaster == 0 {
		return 0
	}
	f, err := procStat(postmaster)
	if err != nil {
		return 0
	}
	total := ticks(f, 11) + ticks(f, 12) + ticks(f, 13) + ticks(f, 14) // utime stime cutime cstime
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		if c, err := procStat(pid); err == nil && len(c) > 12 && c[1] == strconv.Itoa(postmaster) {
			total += ticks(c, 11) + ticks(c, 12)
		}
	}
	return total
}

// findPostmaster is the parent of one of pool's backends, if this process
// can read it (Postgres on the same machine).
func findPostmaster(ctx context.Context, pool *pgxpool.Pool) int {
	var backend int
	if err := pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return 0
	}
	f, err := procStat(backend)
	if err != nil || len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// procStat returns the fields of /proc/pid/stat after the command name:
// state is [0], ppid [1], utime [11], stime [12], cutime [13], cstime [14].
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return nil, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return strings.Fields(s[i+2:]), nil
}

func ticks(f []string, i int) time.Duration {
	if i >= len(f) {
		return 0
	}
	n, _ := strconv.ParseInt(f[i], 10, 64)
	return time.Duration(n) * time.Second / clockTicks
}

// perUnit is (after-before)/n, 0 when n is 0.
func perUnit(before, after int64, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(after-before) / float64(n)
}

func msPer(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1000 / float64(n)
}
