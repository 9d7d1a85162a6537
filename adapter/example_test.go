package adapter_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// sandboxUpwell returns a client for the sandbox's Upwell. Use
// upwell.FromEnv() (UPWELL_API_KEY, UPWELL_SOURCE_SYSTEM) for the real one.
func sandboxUpwell(srv *sandbox.Server, opts ...adapter.Option) *adapter.Client {
	client, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem},
		append([]adapter.Option{adapter.WithBaseURL(srv.URL(specs.Upwell)), adapter.WithHTTPClient(srv.Client())}, opts...)...)
	if err != nil {
		panic(err)
	}
	return client
}

// Every field of an update is tri-state: Set writes a value, Clear
// empties it, and a field left out keeps the vendor's value.
func ExampleClient_Update() {
	srv := sandbox.NewServer() // stands in for Upwell
	defer srv.Close()
	client := sandboxUpwell(srv) // upwell.New for the sandbox; upwell.FromEnv() for Upwell itself

	res, err := client.Update(context.Background(), &adapter.CustomerUpdate{
		ID:       sandbox.UpwellCustomerAcme,                               // "C-1001" at source system "ACME"
		Name:     adapter.Set("Acme Corp"),                                 // written
		Metadata: adapter.Clear[adapter.JSONObject](),                      // emptied
		Upwell:   &adapter.UpwellFields{DueOption: adapter.Set[int32](60)}, // Upwell's own field
	}) // the e-mail address and the rest: left as they are
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Vendor, res.ID, res.HTTPStatus, res.Sent)
	fmt.Println("stored otherwise than sent:", res.Mismatches) // Upwell answers with the record as stored

	stored, _ := srv.Customer(specs.Upwell, sandbox.UpwellCustomerAcme)
	fmt.Println(stored["name"], stored["metadata"], stored["emailAddress"])
	// Output:
	// upwell C-1001 200 [name metadata upwell.dueOption]
	// stored otherwise than sent: []
	// Acme Corp <nil> ap@acme.example
}

// A field the vendor has no place for fails the update before anything is
// sent, naming the field. WithLenient sends the rest and says what it
// dropped.
func ExampleWithLenient() {
	srv := sandbox.NewServer()
	defer srv.Close()
	client := sandboxUpwell(srv) // upwell.New for the sandbox; upwell.FromEnv() for Upwell itself
	update := &adapter.CustomerUpdate{
		ID:    sandbox.UpwellCustomerInitech,
		Email: adapter.Set("ap@initech.example"),
		Phone: adapter.Set("+1 555 0100"), // Upwell stores no phone number
	}

	_, err := client.Update(context.Background(), update)
	var e *adapter.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Field, "requests:", srv.Stats(specs.Upwell).Requests)
	}

	res, err := client.Update(context.Background(), update, adapter.WithLenient(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sent", res.Sent, "dropped", res.Dropped)
	// Output:
	// InvalidArgument phone requests: 0
	// sent [email] dropped [phone]
}

// The canonical JSON form is what the command reads, one update per line:
// a missing key leaves the field alone, null clears it. Unknown keys and
// wrong types are errors naming the key, so a typo never turns into a
// field silently left alone.
func ExampleParseCustomerUpdate() {
	u, err := adapter.ParseCustomerUpdate([]byte(`{"id": "C-1001", "name": "Acme Corp", "vatId": null, "upwell": {"dueOption": 30}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	name, _ := u.Name.Value()
	due, _ := u.Upwell.DueOption.Value()
	fmt.Println(u.ID, u.SetFields())
	fmt.Println(name, u.VATID.IsNull(), due, u.Email.IsAbsent())

	_, err = adapter.ParseCustomerUpdate([]byte(`{"id": "C-1001", "e-mail": "ap@acme.example"}`))
	fmt.Println(adapter.CodeOf(err), err)
	// Output:
	// C-1001 [name vatId upwell.dueOption]
	// Acme Corp true 30 true
	// InvalidArgument custsync: InvalidArgument: e-mail: unknown field (known: billbee, ccEmails, email, firstName, id, lastName, metadata, modifiedAt, name, phone, sourceSystem, upwell, vatId)
}

// Every failure is an *adapter.Error: errors.Is tells the portable code,
// errors.As gives the details (HTTP status, the vendor's own code and
// message, whether a retry may succeed, the attempts made).
func ExampleError() {
	srv := sandbox.NewServer()
	defer srv.Close()
	ctx := context.Background()
	// upwell.New for the sandbox; upwell.FromEnv(options...) for Upwell itself
	client := sandboxUpwell(srv, adapter.WithRetryBackoff(time.Millisecond, time.Millisecond))

	report := func(_ *adapter.Result, err error) {
		var e *adapter.Error
		switch {
		case err == nil:
			fmt.Println("updated")
		case errors.Is(err, adapter.NotFound):
			fmt.Println("no such customer")
		case errors.As(err, &e) && e.Retryable:
			fmt.Printf("%s after %d attempts (HTTP %d): try again later\n", e.Code, e.Attempts, e.HTTPStatus)
		case errors.As(err, &e):
			fmt.Printf("%s (HTTP %d, vendor code %s): %s\n", e.Code, e.HTTPStatus, e.VendorCode, e.Message)
		default:
			fmt.Println(err) // a context error: canceled or past its deadline
		}
	}

	report(client.Update(ctx, &adapter.CustomerUpdate{ID: "C-9999", Name: adapter.Set("Nobody")}))
	srv.FailNext(specs.Upwell, 3, sandbox.FaultUnavailable) // the first try and both retries
	report(client.Update(ctx, &adapter.CustomerUpdate{ID: "C-1001", Name: adapter.Set("Acme Corp")}))
	wrongKey, err := upwell.New(upwell.Config{APIKey: "not-the-key", SourceSystem: "ACME"},
		adapter.WithBaseURL(srv.URL(specs.Upwell)), adapter.WithHTTPClient(srv.Client()))
	if err != nil {
		panic(err)
	}
	report(wrongKey.Update(ctx, &adapter.CustomerUpdate{ID: "C-1001", Name: adapter.Set("Acme Corp")}))
	// Output:
	// no such customer
	// Unavailable after 3 attempts (HTTP 503): try again later
	// PermissionDenied (HTTP 401, vendor code INVALID_API_KEY): Invalid API key
}
