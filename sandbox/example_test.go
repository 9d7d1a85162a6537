package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// A test starts the sandbox in one line and gives each client the base URL
// of its vendor.
func ExampleNewServer() {
	srv := sandbox.NewServer()
	defer srv.Close()

	for _, v := range specs.Vendors {
		fmt.Println(v, strings.TrimPrefix(srv.URL(v), srv.RootURL()))
	}

	// A plain request with the demo credentials: read Billbee's seed customer.
	req, _ := http.NewRequest(http.MethodGet, srv.URL(specs.Billbee)+"/api/v1/customers/100000150176895", nil)
	req.Header.Set("X-Billbee-Api-Key", sandbox.BillbeeAPIKey)
	req.SetBasicAuth(sandbox.BillbeeUsername, sandbox.BillbeeAPIPassword)
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close() //nolint:errcheck // closing a body that was read has nothing to report
	var envelope struct {
		ErrorCode int
		Data      struct {
			ID   int64 `json:"Id"`
			Name string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&envelope); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, envelope.ErrorCode, envelope.Data.ID, envelope.Data.Name)
	// Output:
	// upwell /upwell
	// bluetape /bluetape/genericBthubService
	// billbee /billbee
	// 200 0 100000150176895 Max
}

// Faults are set per vendor, at construction or while running; FailNext
// queues exact faults for the next requests.
func ExampleSandbox_FailNext() {
	srv := sandbox.NewServer()
	defer srv.Close()

	srv.FailNext(specs.BlueTape, 1, sandbox.FaultBadGateway)
	req, _ := http.NewRequest(http.MethodPut, srv.URL(specs.BlueTape)+"/integration/customer/dc506b22c7fa",
		strings.NewReader(`{"firstName":"John","lastName":"Doe","emailAddress":"john@example.com",`+
			`"cellPhoneNumber":"+11234567890","sourceModifiedDate":"2023-01-04T09:47:57.477Z"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-BlueTape-Key", sandbox.BlueTapeAPIKey)
	req.Header.Set("X-Integration-AccountId", sandbox.BlueTapeAccountID)
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := resp.Body.Close(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	// Output:
	// 502 text/html
}
