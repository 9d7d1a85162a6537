package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactURLHidesEveryPassword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://sync:s3cret@db.example:5432/state", "postgres://sync:REDACTED@db.example:5432/state"},
		{"postgresql://sync@db.example/state?sslmode=require&password=s3cret", "postgresql://sync@db.example/state?sslmode=require&password=REDACTED"},
		{"postgres://sync:p@ss@db.example/state", "postgres://sync:REDACTED@db.example/state"},
		{"postgres://db.example/state", "postgres://db.example/state"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := redactURL(tt.in)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got, "s3cret")
			assert.NotContains(t, got, "ss@")
		})
	}
}

func TestAStateSpecIsAPostgresURLOrAFile(t *testing.T) {
	assert.True(t, isPostgresURL("postgres://h/db"))
	assert.True(t, isPostgresURL("PostgreSQL://h/db"))
	assert.False(t, isPostgresURL("state.db"))
	assert.False(t, isPostgresURL("/var/lib/custsync/postgres.db"))
}
