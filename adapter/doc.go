// Package adapter is custsync's portable API: one customer-update model and
// one interface over the Upwell, BlueTape and Billbee drivers in its
// subpackages. The drivers translate; this package owns what every vendor
// shares: validation, errors, retries, rate limits and timeouts.
package adapter
