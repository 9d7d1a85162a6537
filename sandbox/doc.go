// Package sandbox runs stateful fakes of the vendors custsync updates
// customers in (Upwell, BlueTape and Billbee), for custsync's own driver
// tests, its CLI, and users' tests. Like stripe-mock it answers from the
// vendors' OpenAPI specs (the files in specs/); unlike stripe-mock it keeps
// state, so an update can be read back, and it injects the faults real
// integrations meet: throttling, 5xx answers, HTML from a proxy, latency,
// connection resets and truncated bodies.
//
// One line starts it in a test:
//
//	srv := sandbox.NewServer()
//	defer srv.Close()
//	baseURL := srv.URL(specs.Upwell) // "http://127.0.0.1:<port>/upwell"
//
// # Base URLs
//
// A Sandbox (an http.Handler) serves all three vendors under distinct
// prefixes; BasePath and (*Server).URL give the base URL a client uses, and
// the spec's operation paths follow it:
//
//	vendor    base URL                              operations
//	Upwell    <server>/upwell                       PUT /api/rest/customers
//	BlueTape  <server>/bluetape/genericBthubService PUT /integration/customer/{id}
//	Billbee   <server>/billbee                      GET, PUT /api/v1/customers/{id}
//
// (*Sandbox).Handler serves one vendor at the paths its production host
// uses (BlueTape under BlueTapeServicePath), for a server per vendor.
//
// # Credentials
//
// The demo credentials UpwellAPIKey, BlueTapeAPIKey + BlueTapeAccountID,
// and BillbeeAPIKey + BillbeeUsername + BillbeeAPIPassword are accepted
// unless WithCredentials replaces them. A missing or wrong credential gets
// the vendor's 401:
//
//	Upwell    {"error":{"code":"MISSING_AUTHORIZATION"|"INVALID_API_KEY","message":...},"status":"error"}
//	BlueTape  {"code":"401","reason":"Unauthorized."}
//	Billbee   {"Message":"Authorization has been denied for this request."}
//
// # Seed customers
//
// Every Sandbox starts with these customers, named by constants of this
// package:
//
//	Upwell, sourceSystem "ACME" (UpwellSourceSystem)
//	  C-1001  UpwellCustomerAcme      every column set; rule dueOption 30; one address
//	  C-1002  UpwellCustomerAcmeWest  billed to C-1001; dueOption 45; two addresses; empty cc list
//	  C-1003  UpwellCustomerInitech   null e-mail, cc, bill-to, metadata; no rule; no addresses
//	BlueTape
//	  dc506b22c7fa                       BlueTapeCustomerJohn  the docs' John Doe; blueTapeId fb5637b2e5f3
//	  generic_customer_id_individual_22  BlueTapeCustomerJane  Jane Roe; blueTapeId 6d1e8a4c2b90
//	Billbee
//	  100000150176895  BillbeeCustomerMax       the PHP SDK fixture: all six Default*, two MetaData
//	  7674534536       BillbeeCustomerSparse    null Tel1, Tel2, PriceGroupId, LanguageId, VatId, Type, Default*, MetaData
//	  100000150176896  BillbeeCustomerArchived  ArchivedAt "2021-08-21T13:00:33.23": GET works, PUT is refused
//
// WithSyntheticCustomers(n) adds n more per vendor for bulk tests, with the
// ids SyntheticID gives (Upwell ACME/S-00001..., BlueTape
// synthetic-00001..., Billbee 200000000000001...).
//
// (*Sandbox).Customer reads any record back, CustomerIDs lists them, Stats
// counts requests and answers per vendor.
//
// # Vendor behaviour
//
// Each fake follows what is known of the real API (shared/vendors/*.md);
// the doc comments of the vendor types in upwell.go, bluetape.go and
// billbee.go list the rules. In short: Upwell's input is a partial update
// where null clears and a miss or an empty input affects 0 rows; BlueTape
// replaces the whole contact and answers 202; Billbee wraps every answer in
// its envelope, shows unset fields as null, replaces the whole record on
// PUT (fields not sent are blanked) and refuses to modify an archived
// customer.
//
// # Validation
//
// Every request is checked against the vendor's spec with specs.Validator.
// A missing credential gets the 401 above; any other violation gets the
// vendor's 400 carrying the validator's message:
//
//	Upwell    {"error":{"code":"VALIDATION_ERROR","message":"Validation failed for one or more fields",
//	          "details":[{"field":"input.name","message":<msg>}, ...]},"status":"error","timestamp":...}
//	BlueTape  {"code":"400","reason":<msg>}
//	Billbee   {"Message":"The request is invalid.","ModelState":{"model":[<msg>]}}
//
// Upwell's is the VALIDATION_ERROR of its error-codes page, details an
// array; bad variables (an unknown top-level key, a missing identifier)
// get Hasura's own {"path":"$","error":<msg>,"code":...} first. Billbee
// answers an unknown customer id with a 404 that has no body, as the real
// API does (billbee-csharp-sdk issue 83); it accepts TypeName and fields
// it does not know in a PUT body, as the official PHP SDK's bodies show,
// and stores neither.
//
// Every answer is checked too, and an answer the spec rejects is recorded
// in (*Sandbox).Violations, which tests assert empty.
//
// # Faults and throttling
//
// Faults (rates of 500, 503, HTML 502, resets and truncation, plus latency)
// and Throttle (rolling-window limits, BillbeeThrottle for Billbee's
// documented ones) are set per vendor with WithFaults and WithThrottle or,
// while running, SetFaults, SetThrottle and FailNext. Random faults are
// drawn from a generator seeded by WithSeed, so runs repeat. Both are off
// by default.
package sandbox
