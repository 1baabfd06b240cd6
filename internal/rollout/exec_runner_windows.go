//go:build windows

package rollout

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// processTree is a Job Object holding a command and every process it
// starts; ending the job ends them all. Windows has no process groups to
// signal, and killing the command alone would leave its children running.
//
// The command is created suspended and resumed only once it is in the job.
// Assigning it right after a normal start would race with a command that
// starts a child at once: that child would be outside the job for good.
//
// JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE ends the tree when the job's last
// handle closes, so also when the provider process itself dies mid-command.
// After a command that was not stopped, release lifts that limit first: what
// it left running (a start script's daemon) keeps running, as on Unix.
type processTree struct {
	mu       sync.Mutex
	job      windows.Handle
	attached bool
	// ended: stop or kill was called; the job is (or will be) terminated.
	ended bool
}

// exitTerminated is the exit code of processes ended with the job.
const exitTerminated = 1

func newProcessTree() (*processTree, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("could not create a Job Object for the command: %w", err)
	}
	if err := setKillOnClose(job, true); err != nil {
		_ = windows.CloseHandle(job)
		return nil, err
	}
	return &processTree{job: job}, nil
}

// setKillOnClose sets or clears JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE.
func setKillOnClose(job windows.Handle, on bool) error {
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	if on {
		info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	}
	_, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
	if err != nil {
		return fmt.Errorf("could not set the limits of the command's Job Object: %w", err)
	}
	return nil
}

// sysProcAttr starts the command suspended (attach resumes it) in a new
// process group: CTRL_C_EVENT is disabled in a new group, so a Ctrl-C in
// Terraform's console does not reach the command, and the provider decides
// what an interrupt does to it (on_interrupt).
func (*processTree) sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP}
}

// attach puts the suspended command into the job, then lets it run. A stop
// that came first (the context ended during the start) ends it instead.
func (t *processTree) attach(p *os.Process) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(p.Pid))
	if err != nil {
		return fmt.Errorf("could not open process %d to put it in a Job Object: %w", p.Pid, err)
	}
	defer func() { _ = windows.CloseHandle(h) }()
	if err := windows.AssignProcessToJobObject(t.job, h); err != nil {
		return fmt.Errorf("could not put process %d in a Job Object: %w", p.Pid, err)
	}
	t.attached = true
	if t.ended {
		return windows.TerminateJobObject(t.job, exitTerminated)
	}
	return resumeProcess(uint32(p.Pid))
}

// resumeProcess resumes the threads of a process created suspended (its
// main thread: os/exec does not keep the thread handle CreateProcess gives).
func resumeProcess(pid uint32) error {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return fmt.Errorf("could not list threads to resume process %d: %w", pid, err)
	}
	defer func() { _ = windows.CloseHandle(snap) }()
	resumed := 0
	te := windows.ThreadEntry32{Size: uint32(unsafe.Sizeof(windows.ThreadEntry32{}))}
	for err = windows.Thread32First(snap, &te); err == nil; err = windows.Thread32Next(snap, &te) {
		if te.OwnerProcessID != pid {
			continue
		}
		th, oerr := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, te.ThreadID)
		if oerr != nil {
			return fmt.Errorf("could not open thread %d of process %d: %w", te.ThreadID, pid, oerr)
		}
		_, rerr := windows.ResumeThread(th)
		_ = windows.CloseHandle(th)
		if rerr != nil {
			return fmt.Errorf("could not resume thread %d of process %d: %w", te.ThreadID, pid, rerr)
		}
		resumed++
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return fmt.Errorf("could not list threads to resume process %d: %w", pid, err)
	}
	if resumed == 0 {
		return fmt.Errorf("process %d has no thread to resume", pid)
	}
	return nil
}

// stop ends the whole job: console programs have no SIGTERM to be asked
// with, so the tree ends at once.
func (t *processTree) stop(p *os.Process) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = true
	if !t.attached {
		return nil // attach ends it
	}
	if err := windows.TerminateJobObject(t.job, exitTerminated); err != nil {
		// The command at least: its children go when the job's handle closes.
		return p.Kill()
	}
	return nil
}

func (t *processTree) kill(p *os.Process) { _ = t.stop(p) }

// release closes the job. After a stop its processes are gone already (and
// KILL_ON_JOB_CLOSE ends any stragglers); otherwise what the command left
// running stays.
func (t *processTree) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ended {
		_ = setKillOnClose(t.job, false)
	}
	_ = windows.CloseHandle(t.job)
}
