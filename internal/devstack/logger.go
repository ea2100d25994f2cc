package devstack

import (
	"context"
	"log/slog"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger forwards the embedded Temporal server's logs to slog at or
// above a floor level: the server is chatty at info.
type serverLogger struct {
	l     *slog.Logger
	floor slog.Level
	tags  []tag.Tag
}

var _ log.Logger = (*serverLogger)(nil)

func (s *serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	if level < s.floor || !s.l.Enabled(context.Background(), level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(s.tags)+len(tags)+1)
	attrs = append(attrs, slog.String("component", "temporal"))
	for _, t := range append(s.tags, tags...) {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	s.l.LogAttrs(context.Background(), level, msg, attrs...)
}

func (s *serverLogger) Debug(msg string, tags ...tag.Tag)  { s.log(slog.LevelDebug, msg, tags) }
func (s *serverLogger) Info(msg string, tags ...tag.Tag)   { s.log(slog.LevelInfo, msg, tags) }
func (s *serverLogger) Warn(msg string, tags ...tag.Tag)   { s.log(slog.LevelWarn, msg, tags) }
func (s *serverLogger) Error(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s *serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }
func (s *serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}
func (s *serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic("temporal server fatal: " + msg)
}

// With implements log.WithLogger.
func (s *serverLogger) With(tags ...tag.Tag) log.Logger {
	return &serverLogger{l: s.l, floor: s.floor, tags: append(append([]tag.Tag{}, s.tags...), tags...)}
}
