package redislimit_test

import (
	"context"
	"errors"
	"log"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/redislimit"
)

// Every process that updates customers with one Billbee credential points
// its client at the same Redis: together they keep Billbee's limits.
func Example() {
	if err := renameCustomer(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func renameCustomer(ctx context.Context) (err error) {
	limiter, err := redislimit.New(ctx, "redis://127.0.0.1:6379/0")
	if err != nil {
		return err // "rate limiter: cannot reach Redis at 127.0.0.1:6379: ..."
	}
	defer func() { err = errors.Join(err, limiter.Close()) }()
	client, err := billbee.FromEnv(adapter.WithRateLimiter(limiter))
	if err != nil {
		return err
	}
	res, err := client.Update(ctx, &adapter.CustomerUpdate{ID: "100000150176895", Name: adapter.Set("Max Mustermann")})
	if err != nil {
		return err // a Redis lost for too long: Unavailable, retryable
	}
	log.Println(res.VendorID)
	return nil
}
