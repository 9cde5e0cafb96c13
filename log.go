package commet

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// log writes the Debug record of one attempt: method, path (under /api/v1,
// as [Attempt].Path and errors name it; never the query, which may hold an
// email), attempt, status, request ID, duration,
// and the error of an attempt that got no answer. Never headers or bodies.
func (c *Client) log(ctx context.Context, r request, attempt, status int, reqID string, d time.Duration, err error) {
	logger := c.cfg.logger
	if logger == nil || !logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.method),
		slog.String("path", r.path),
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

// noticeDeprecation logs one Warn record per client the first time an
// answer carries a Deprecation or Sunset header: Commet sends them on
// paths it will stop serving (the legacy unversioned /api/* ones), never
// on the versioned paths this SDK uses, so seeing one means a proxy or a
// base URL leads somewhere else than it should.
func (c *Client) noticeDeprecation(ctx context.Context, r request, h http.Header) {
	if c.cfg.logger == nil { // nothing to say it to: spare every answer the look-ups
		return
	}
	deprecation, sunset := h.Get("Deprecation"), h.Get("Sunset")
	if deprecation == "" && sunset == "" || !c.deprecationNoticed.CompareAndSwap(false, true) {
		return
	}
	c.cfg.logger.LogAttrs(ctx, slog.LevelWarn, "commet: the API says this endpoint is deprecated; check the base URL and the API version",
		slog.String("method", r.method),
		slog.String("path", r.path),
		slog.String("deprecation", printable(c.key.redact(deprecation), 64)),
		slog.String("sunset", printable(c.key.redact(sunset), 64)),
		slog.String("link", printable(c.key.redact(h.Get("Link")), 200)),
	)
}
