package commet

import (
	"context"
	"log/slog"
	"time"
)

// log writes the Debug record of one attempt: method, path (never the
// query, which may hold an email), attempt, status, request ID, duration,
// and the error of an attempt that got no answer. Never headers or bodies.
func (c *Client) log(ctx context.Context, r request, attempt, status int, reqID string, d time.Duration, err error) {
	logger := c.cfg.logger
	if logger == nil || !logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.method),
		slog.String("path", "/api/v1"+r.path),
		slog.Int("attempt", attempt),
		slog.Int("status", status),
		slog.String("request_id", printable(reqID, 64)),
		slog.Duration("duration", d),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", printable(err.Error(), 200)))
	}
	logger.LogAttrs(ctx, slog.LevelDebug, "commet request", attrs...)
}
