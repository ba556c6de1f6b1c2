package vigiltest

import (
	"os/exec"
	"testing"
)

// Process is a program a test started; it is killed when the test ends.
type Process struct {
	Cmd  *exec.Cmd
	done chan struct{}
}

// Start starts cmd and waits for it in the background. When the test
// ends the process is killed, and when the test failed, the test logs
// what output says of the process's output, under name.
func Start(t testing.TB, name string, cmd *exec.Cmd, output func() string) *Process {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Process{Cmd: cmd, done: make(chan struct{})}
	go func() { // owner: the process; ends when it exits
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("--- output of %s:\n%s", name, output())
		}
	})
	return p
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.Cmd.Process.Kill()
	<-p.done
}
