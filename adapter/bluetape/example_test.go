package bluetape_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bluetape"
)

func ExampleNew() {
	// A stand-in for bluetape.DefaultBaseURL; use bluetape.FromEnv() for real.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !strings.HasSuffix(r.URL.Path, "/integration/customer/dc506b22c7fa") {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"code":"404","reason":"Customer not found."}`)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"blueTapeId":"fb5637b2e5f3"}`)
	}))
	defer srv.Close()

	client, err := bluetape.New(bluetape.Config{APIKey: "YOUR_KEY", AccountID: "YOUR_ACCOUNT_ID"},
		adapter.WithBaseURL(srv.URL+"/genericBthubService"))
	if err != nil {
		panic(err)
	}
	// BlueTape replaces the whole contact: all five fields, every time.
	update := func(id string) (*adapter.Result, error) {
		return client.Update(context.Background(), &adapter.CustomerUpdate{
			ID:         id, // your own customer id, not the blueTapeId
			FirstName:  adapter.Set("John"),
			LastName:   adapter.Set("Doe"),
			Email:      adapter.Set("john@example.com"),
			Phone:      adapter.Set("+11234567890"), // E.164, as BlueTape's examples
			ModifiedAt: adapter.Set(time.Date(2023, 1, 4, 9, 47, 57, 477_000_000, time.UTC)),
		})
	}

	res, err := update("dc506b22c7fa")
	if err != nil {
		panic(err)
	}
	fmt.Println(res.VendorID, res.HTTPStatus, res.Sent)

	_, err = update("no-such-customer")
	var e *adapter.Error
	if errors.Is(err, adapter.NotFound) && errors.As(err, &e) {
		fmt.Println("not found:", e.VendorCode, e.Message)
	}
	// Output:
	// fb5637b2e5f3 202 [firstName lastName email phone modifiedAt]
	// not found: 404 Customer not found.
}
