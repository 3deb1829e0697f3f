package clients

import (
	"context"
	"database/sql"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lambdaguard/lambdaguard/guard"
)

var (
	once   sync.Once
	shared *http.Client
	db     = guard.NewShared("db", func(ctx context.Context) (*sql.DB, error) {
		return sql.Open("postgres", "")
	})
)

func handle(ctx context.Context, url string) (string, error) {
	c := &http.Client{Transport: &http.Transport{}} // want `http.Transport built per invocation.*build the client once, outside the handler \(handler handle: handle\)`
	_ = c
	t := http.DefaultTransport.(*http.Transport).Clone() // want `http.Transport.Clone builds a client per invocation`
	_ = t
	d, _ := sql.Open("postgres", url) // want `sql.Open builds a client per invocation.* \(handler handle: handle\)`
	_ = d
	p, _ := pgxpool.New(ctx, url) // want `pgxpool.New builds a client per invocation`
	_ = p
	cfg, _ := loadConfig(ctx)
	_ = cfg

	// Not reported: a client without a transport of its own, one built
	// once, and a shared resource.
	_ = &http.Client{}
	once.Do(func() {
		shared = &http.Client{Transport: &http.Transport{}}
	})
	sdb, _ := db.Get(ctx)
	_ = sdb
	return "", nil
}

func loadConfig(ctx context.Context) (config.Config, error) {
	return config.LoadDefaultConfig(ctx) // want `config.LoadDefaultConfig builds a client per invocation.* \(handler handle: handle → loadConfig\)`
}

func Main() {
	shared = &http.Client{Transport: &http.Transport{}} // main: not reported
	guard.Start(handle)
}
