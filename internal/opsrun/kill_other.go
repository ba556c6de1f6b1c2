//go:build !unix

package opsrun

import "os/exec"

// killGroup leaves the default: the program alone is killed.
func killGroup(*exec.Cmd) {}
