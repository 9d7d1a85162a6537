package redistest

import (
	"os/exec"
	"syscall"
)

// configureChild makes the kernel kill redis-server when the test process
// dies, even by kill -9, so no server outlives its test.
func configureChild(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
