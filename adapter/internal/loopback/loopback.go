// Package loopback tells a loopback host from any other: credentials go
// over an unencrypted connection (plain http to a vendor, redis:// to a
// shared rate limiter) only to one, where they never leave the machine.
package loopback

import (
	"net"
	"strings"
)

// Is reports whether host (no port) is localhost or a loopback IP.
func Is(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
