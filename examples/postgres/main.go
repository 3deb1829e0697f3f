// Command postgres is an API Gateway HTTP API (payload v2) function that
// keeps one PostgreSQL connection across invocations, as a Lambda function
// should: connecting costs more than most queries. The connection is
// declared as a guard.SharedResource: it is made by the first invocation
// that needs it, and after a freeze longer than a second it is pinged before
// it is used. A database closes idle sessions (idle_session_timeout, or a
// proxy's idle timeout) while the execution environment sleeps; without the
// ping the first query after the thaw fails on the dead connection, with it
// a new connection is made and every invocation succeeds.
//
// It reads DATABASE_URL (postgres://user@127.0.0.1:5432/db); without it, it
// answers that it has nothing to query. POSTGRES_VALIDATE=off leaves the
// check out, to see the failure it prevents.
//
// Build it as Lambda runs it, or run it through the local runner against a
// database that drops idle sessions after a second, frozen for longer:
//
//	GOOS=linux CGO_ENABLED=0 go build -o bootstrap ./examples/postgres
//	go run ./cmd/lambdaguard run --env DATABASE_URL=postgres://... --repeat 2 --freeze 3s ./examples/postgres
//
// One connection serves one invocation at a time, which is what Lambda runs
// per execution environment. With AWS_LAMBDA_MAX_CONCURRENCY > 1, share a
// pgxpool.Pool the same way instead (its Reset closes the idle connections
// after a thaw).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jackc/pgx/v5"

	"github.com/lambdaguard/lambdaguard/guard"
)

// checkAfter is how long the connection may go unused before it is pinged:
// below any idle timeout a database or proxy in front of it may have.
const checkAfter = time.Second

type reply struct {
	Backend    uint32 `json:"backend"` // the server process serving the connection
	Invocation uint64 `json:"invocation"`
	ThawGap    string `json:"thawGap"`
	Message    string `json:"message,omitempty"`
}

// newDB declares the shared connection to url. Its sockets are dialled
// through guard.SharedDial, so debug mode knows they are kept on purpose.
func newDB(url string, validate bool) *guard.SharedResource[*pgx.Conn] {
	opts := []guard.SharedOption[*pgx.Conn]{
		guard.WithClose(func(ctx context.Context, c *pgx.Conn) error {
			slog.Info("postgres: closing the shared connection", "backend", c.PgConn().PID())
			return c.Close(ctx)
		}),
	}
	if validate {
		opts = append(opts, guard.WithValidate(checkAfter, func(ctx context.Context, c *pgx.Conn) error {
			return c.Ping(ctx)
		}))
	}
	return guard.NewShared("postgres", func(ctx context.Context) (*pgx.Conn, error) {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			return nil, err
		}
		cfg.DialFunc = guard.SharedDial(cfg.DialFunc)
		return pgx.ConnectConfig(ctx, cfg)
	}, opts...)
}

type function struct {
	db *guard.SharedResource[*pgx.Conn] // nil without DATABASE_URL
}

func (f *function) handle(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	inv, _ := guard.InvocationFrom(ctx)
	r := reply{Invocation: inv.Number, ThawGap: inv.Idle.Round(time.Millisecond).String()}
	if f.db == nil {
		r.Message = "DATABASE_URL is not set: nothing to query"
		return respond(r)
	}
	conn, err := f.db.Get(ctx)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := conn.QueryRow(ctx, "select pg_backend_pid()").Scan(&r.Backend); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("query: %w", err)
	}
	return respond(r)
}

func respond(r reply) (events.APIGatewayV2HTTPResponse, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusOK,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

func main() {
	f := &function{}
	if url := os.Getenv("DATABASE_URL"); url != "" {
		f.db = newDB(url, os.Getenv("POSTGRES_VALIDATE") != "off")
	}
	guard.Start(f.handle,
		guard.OnThaw(checkAfter, func(ctx context.Context, gap time.Duration) error {
			slog.InfoContext(ctx, "postgres: thawed", "gap", gap.Round(time.Millisecond).String())
			return nil
		}),
		guard.WithShutdown(func(context.Context) error {
			slog.Info("postgres: shutting down")
			return nil
		}))
}
