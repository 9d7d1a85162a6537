//go:build !linux

package redistest

import "os/exec"

// configureChild does nothing here: only Linux can tie a child's life to
// its parent's; Stop and the test's cleanup end the server.
func configureChild(*exec.Cmd) {}
