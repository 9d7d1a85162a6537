package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAStateSpecIsAPostgresDatabaseOrAFile(t *testing.T) {
	tests := []struct {
		spec     string
		postgres bool
	}{
		{"postgres://h/db", true},
		{"PostgreSQL://h/db", true},
		{"host=db.example dbname=sync user=app password=s3cret", true},
		{"dbname=sync", true},
		{"  password = s3cret host=/tmp", true},
		{"HOST=db password=s3cret", true},
		{"state.db password=s3cret", true},
		{"state.db", false},
		{"/var/lib/custsync/postgres.db", false},
		{"./host=odd.db", false},
		{"backup=1.db", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			assert.Equal(t, tt.postgres, isPostgres(tt.spec))
		})
	}
}
