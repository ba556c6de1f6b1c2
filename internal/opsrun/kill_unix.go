//go:build unix

package opsrun

import (
	"os/exec"
	"syscall"
)

// killGroup runs the program in a process group of its own and kills the
// whole group when the run is stopped, so that a script's children (a
// sleep, a curl) die with it.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
