package source

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/secretbox"
)

// Runner consumes every source from one worker process: it polls the
// settings, starts a consumer per source, restarts it when the settings
// change and stops it when the source is deleted.
type Runner struct {
	Pool      *pgxpool.Pool
	Box       *secretbox.Box
	Publisher *publish.Publisher
	Logger    *slog.Logger
	// Drivers by kind (nil: NATS and RabbitMQ).
	Drivers map[Kind]Driver
	// Poll is how often settings are read (0: 2 s); Flush how often
	// counters are written (0: 1 s).
	Poll, Flush time.Duration
	// Workers per source: messages handled at once (0: 16).
	Workers int
}

type running struct {
	generation int64
	cancel     context.CancelFunc
	done       chan struct{}
}

// Run consumes until ctx ends, then stops every consumer (a message being
// handled finishes or is redelivered later; none is acked unpublished).
func (r *Runner) Run(ctx context.Context) error {
	if r.Drivers == nil {
		r.Drivers = map[Kind]Driver{KindNATS: NATS{}, KindRabbitMQ: RabbitMQ{}}
	}
	poll := r.Poll
	if poll == 0 {
		poll = 2 * time.Second
	}
	consumers := map[string]*running{}
	defer func() {
		for _, c := range consumers {
			c.cancel()
			<-c.done
		}
	}()
	for {
		r.sync(ctx, consumers)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
}

// sync starts, restarts and stops consumers to match the settings.
func (r *Runner) sync(ctx context.Context, consumers map[string]*running) {
	rows, err := db.Q(r.Pool).ListSourceSettings(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.Logger.WarnContext(ctx, "reading source settings failed; retrying", "err", err)
		}
		return
	}
	seen := make(map[string]bool, len(rows))
	for _, row := range rows {
		seen[row.Name] = true
		if c, ok := consumers[row.Name]; ok {
			if c.generation == row.Generation {
				continue
			}
			c.cancel()
			<-c.done
		}
		s := Settings{Name: row.Name, Kind: Kind(row.Kind), Subject: row.Subject, Queue: row.Queue, TenantID: row.TenantID,
			Generation: row.Generation, Workers: r.Workers}
		url, err := r.Box.Open(row.UrlCiphertext, urlAD(row.Name))
		s.URL = string(url)
		consumers[row.Name] = r.start(ctx, s, err)
	}
	for name, c := range consumers {
		if !seen[name] {
			c.cancel()
			<-c.done
			delete(consumers, name)
		}
	}
}

// start runs one source's consumer in a goroutine the returned handle owns.
func (r *Runner) start(parent context.Context, s Settings, openErr error) *running {
	ctx, cancel := context.WithCancel(parent)
	h := &running{generation: s.Generation, cancel: cancel, done: make(chan struct{})}
	if s.Workers == 0 {
		s.Workers = 16
	}
	c := &consumer{settings: s, pool: r.Pool, pub: r.Publisher, log: r.Logger}
	go func() {
		defer close(h.done)
		if openErr != nil { // wrong HOOKLINE_ENCRYPTION_KEY: nothing to retry until a put
			c.report(ctx, Failing, "the source's URL cannot be decrypted with this deployment's encryption key")
			<-ctx.Done()
			return
		}
		r.consume(ctx, c)
	}()
	return h
}

// consume keeps one consumer connected, flushing its counters, until ctx ends.
func (r *Runner) consume(ctx context.Context, c *consumer) {
	flush := r.Flush
	if flush == 0 {
		flush = time.Second
	}
	var wg sync.WaitGroup
	flushCtx, stopFlush := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() {
		for {
			select {
			case <-flushCtx.Done():
				c.flush(context.WithoutCancel(ctx)) // the last counts of a stopping consumer
				return
			case <-time.After(flush):
				c.flush(flushCtx)
			}
		}
	})
	defer func() { stopFlush(); wg.Wait() }()
	drv, ok := r.Drivers[c.settings.Kind]
	if !ok {
		c.report(ctx, Failing, "this worker has no driver for kind "+string(c.settings.Kind))
		<-ctx.Done()
		return
	}
	hooks := Hooks{
		Ready: func() { c.report(ctx, Connected, "") },
		Lost:  func(reason string) { c.report(ctx, Failing, reason) },
	}
	for delay := time.Second; ctx.Err() == nil; delay = min(2*delay, 30*time.Second) {
		began := time.Now()
		err := drv.Consume(ctx, c.settings, hooks, c.handle)
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > time.Minute { // it was consuming: a new outage starts the backoff afresh
			delay = time.Second
		}
		reason := "disconnected"
		if err != nil {
			reason = err.Error() // drivers return client-safe reasons (no URL, no credentials)
		}
		c.report(ctx, Failing, reason)
		r.Logger.WarnContext(ctx, "source consumer stopped; reconnecting", "source", c.settings.Name, "reason", reason, "in", delay)
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
	}
}
