//go:build !linux

package main

import "os/exec"

// setParentDeathSignal does nothing where the kernel has no such signal.
func setParentDeathSignal(*exec.Cmd) {}
