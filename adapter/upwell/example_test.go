package upwell_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
)

func ExampleNew() {
	// A stand-in for https://api.upwell.com; use upwell.FromEnv() for real.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"updateCustomer":{"affectedRows":1,"returning":[{"id":"cus_123"}]},"updateCustomerRules":{"affectedRows":1}}`)
	}))
	defer srv.Close()

	client, err := upwell.New(upwell.Config{APIKey: "YOUR_API_KEY", SourceSystem: "ACME"}, adapter.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	res, err := client.Update(context.Background(), &adapter.CustomerUpdate{
		ID:     "C-1001",
		Name:   adapter.Set("Acme Corp"),
		Email:  adapter.Clear[string](), // null: clears the e-mail address
		Upwell: &adapter.UpwellFields{DueOption: adapter.Set[int32](30)},
	})
	if errors.Is(err, adapter.NotFound) {
		fmt.Println("no such customer")
		return
	}
	if err != nil {
		panic(err)
	}
	fmt.Println(res.VendorID, res.HTTPStatus, res.Sent)
	// Output: cus_123 200 [name email upwell.dueOption]
}
