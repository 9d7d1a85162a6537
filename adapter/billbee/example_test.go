package billbee_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
)

// Billbee's PUT replaces the whole customer, so an update reads the
// customer, applies the change and writes the whole record back: fields
// the update does not name (here Email and PriceGroupId) are sent as read.
func Example() {
	// A stand-in for https://app.billbee.io that knows one customer.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Method {
		case http.MethodGet:
			_, _ = io.WriteString(w, `{"ErrorMessage":null,"ErrorCode":0,"ErrorDescription":"NoError",
				"Data":{"Id":100000150176895,"Name":"Max","Email":"max@mustermann.tld","VatId":"1234","PriceGroupId":1818}}`)
		case http.MethodPut:
			body, _ := io.ReadAll(r.Body)
			fmt.Printf("PUT %s %s\n", r.URL.Path, body)
			_, _ = fmt.Fprintf(w, `{"ErrorMessage":null,"ErrorCode":0,"ErrorDescription":"NoError","Data":%s}`, body)
		}
	}))
	defer srv.Close()

	client, err := billbee.New(billbee.Config{
		APIKey:      "my-api-key",
		Username:    "me@shop.example",
		APIPassword: "my-api-password",
	}, adapter.WithBaseURL(srv.URL)) // leave out WithBaseURL to reach Billbee
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := client.Update(context.Background(), &adapter.CustomerUpdate{
		ID:    "100000150176895",
		Name:  adapter.Set("Max Mustermann"),
		VATID: adapter.Clear[string](),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("customer %s updated: %v, in %d requests\n", res.VendorID, res.Sent, res.Attempts)
	// Output:
	// PUT /api/v1/customers/100000150176895 {"Email":"max@mustermann.tld","Id":100000150176895,"Name":"Max Mustermann","PriceGroupId":1818,"VatId":null}
	// customer 100000150176895 updated: [name vatId], in 2 requests
}

// Errors carry a portable code for errors.Is, and the vendor's details
// for errors.As.
func Example_errors() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound) // Billbee's 404 for an unknown id has no body
		_, _ = io.WriteString(w, "")
	}))
	defer srv.Close()

	client, err := billbee.New(billbee.Config{APIKey: "my-api-key", Username: "me@shop.example", APIPassword: "my-api-password"},
		adapter.WithBaseURL(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = client.Update(context.Background(), &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Max Mustermann")})
	fmt.Println(errors.Is(err, adapter.NotFound))
	var e *adapter.Error
	if errors.As(err, &e) {
		fmt.Println(e.Operation, e.HTTPStatus, e.Message)
	}
	fmt.Println(err)
	// Output:
	// true
	// Customer_GetOne 404 Billbee has no customer with id 42
	// billbee Customer_GetOne: NotFound (HTTP 404): Billbee has no customer with id 42
}
