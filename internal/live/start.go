package live

import (
	"context"
	"log/slog"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/ent"
)

// Start wires a new broker to client's writes: the hook on every event,
// and on PostgreSQL a Listener on url that runs until ctx ends (nil on
// SQLite, where the hook publishes in-process).
func Start(ctx context.Context, client *ent.Client, dialectName, url string, opts Options, logger *slog.Logger) (*Broker, *Listener) {
	b := NewBroker(opts)
	Install(client, dialectName, b)
	if dialectName != dialect.Postgres {
		return b, nil
	}
	l := NewListener(url, client, b, logger)
	go l.Run(ctx)
	return b, l
}
