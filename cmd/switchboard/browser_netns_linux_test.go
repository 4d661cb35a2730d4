package main

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the re-executed test binary when this one dies.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
