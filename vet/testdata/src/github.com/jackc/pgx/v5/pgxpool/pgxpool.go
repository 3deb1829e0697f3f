// Package pgxpool is a stub of pgx's pool.
package pgxpool

import "context"

type Pool struct{}

func New(ctx context.Context, connString string) (*Pool, error) { return &Pool{}, nil }
