package devstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrRemotePostgres: the server's data directory is not on this machine,
// so it cannot be restarted from here.
var ErrRemotePostgres = errors.New("the Postgres data directory is not on this machine")

// PostgresRestartCommand is `pg_ctl restart` (fast, waiting up to 60 s) for
// the server admin (a superuser's pool) is connected to, run as the data
// directory's owner; the server log goes to a new temporary file, as
// pg_ctl's own output must not be inherited by the postmaster. The fault
// suite and the bench's chaos phase restart Postgres with it.
func PostgresRestartCommand(ctx context.Context, admin *pgxpool.Pool) (*exec.Cmd, error) {
	var dir, version string
	if err := admin.QueryRow(ctx, "SELECT current_setting('data_directory'), current_setting('server_version_num')").Scan(&dir, &version); err != nil {
		return nil, fmt.Errorf("find the data directory (needs a superuser): %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRemotePostgres, err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	major, _ := strconv.Atoi(version)
	pgctl := fmt.Sprintf("/usr/lib/postgresql/%d/bin/pg_ctl", major/10000)
	if _, err := os.Stat(pgctl); err != nil {
		if pgctl, err = PGBinary("pg_ctl"); err != nil {
			return nil, err
		}
	}
	logf, err := os.CreateTemp("", "hookline-postgres-restart-*.log")
	if err != nil {
		return nil, err
	}
	_ = logf.Close()
	if err := os.Chown(logf.Name(), int(st.Uid), int(st.Gid)); err != nil {
		return nil, err
	}
	args := []string{pgctl, "restart", "-D", dir, "-m", "fast", "-w", "-t", "60", "-l", logf.Name()}
	switch uid := os.Geteuid(); {
	case uid == int(st.Uid):
		return exec.Command(args[0], args[1:]...), nil
	case uid == 0:
		owner, err := user.LookupId(strconv.Itoa(int(st.Uid)))
		if err != nil {
			return nil, err
		}
		return exec.Command("runuser", append([]string{"-u", owner.Username, "--"}, args...)...), nil
	default:
		return nil, fmt.Errorf("cannot restart Postgres: %s belongs to uid %d, this is uid %d", dir, st.Uid, uid)
	}
}
