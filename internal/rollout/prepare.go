package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// StepPrepareCommand names a prepare_command failure in a StepError.
const StepPrepareCommand = "prepare_command"

// prepare runs prepare_command for every job that will run upgrade_command,
// PrepareParallelism at a time, before any node is taken out of service, so
// that downloads and image pulls happen while every node still serves. The
// first failure stops the prepare commands still running and starts no
// more: the error names every node whose command failed, and no node has
// been touched.
func (r *run) prepare(ctx context.Context, jobs []*job) error {
	if len(r.cfg.PrepareCommand) == 0 {
		return nil
	}
	var todo []*job
	for _, j := range jobs {
		if j.kind != kindStarting { // already on target: no upgrade_command
			todo = append(todo, j)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	start := r.clock.Now()
	par := min(r.cfg.PrepareParallelism, len(todo))
	r.ev.emit("", EventPrepareStarted, "running prepare_command for %d nodes, %d at a time, before any node is taken out of service", len(todo), par)

	prepCtx, stop := context.WithCancel(ctx)
	defer stop()
	slots := make(chan struct{}, par)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []error
		// how each node's prepare ended, for the hint: "finished",
		// "failed", "stopped"; absent: not started
		ended = map[string]string{}
	)
	end := func(j *job, how string) {
		mu.Lock()
		ended[j.node.Name] = how
		mu.Unlock()
	}
	for _, j := range todo {
		select {
		case slots <- struct{}{}:
		case <-prepCtx.Done():
		}
		if prepCtx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			t0 := r.clock.Now()
			err := r.runCommand(prepCtx, j, "prepare", r.cfg.PrepareCommand)
			switch {
			case err == nil:
				end(j, "finished")
				r.ev.emit(j.node.Name, EventPrepared, "prepare_command finished in %s", r.since(t0))
				return
			case prepCtx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
				end(j, "stopped") // another node's prepare failed, or the apply was interrupted
				return
			}
			end(j, "failed")
			mu.Lock()
			failures = append(failures, &StepError{Node: j.node.Name, Step: StepPrepareCommand, Err: err})
			mu.Unlock()
			r.ev.emit(j.node.Name, EventNodeFailed, "prepare_command failed: %v", err)
			stop()
		}()
	}
	wg.Wait()

	if len(failures) > 0 {
		hint := "No node was taken out of service: the rollout stops before the first drain when prepare_command fails for any node. " +
			"Fix the cause (see the command's output above), then re-run terraform apply; prepare_command runs again for every node still to upgrade."
		if len(failures) < len(todo) {
			hint = prepareOutcomes(todo, ended) + " " + hint
		}
		var last *StepError
		if errors.As(failures[len(failures)-1], &last) {
			last.Hint = hint
		}
		return errors.Join(failures...)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("prepare_command %w, before any node was taken out of service; re-run terraform apply to continue", interrupted(err))
	}
	r.ev.emit("", EventPrepareDone, "prepare_command finished for %d nodes in %s; next: %s", len(todo), r.since(start), jobs[0].node.Name)
	return nil
}

// prepareOutcomes says, after a failure, how prepare_command ended for
// each node: "prepare_command failed for gw-2, finished for gw-1, was
// stopped for gw-3 and did not start for gw-4."
func prepareOutcomes(todo []*job, ended map[string]string) string {
	by := map[string][]string{}
	for _, j := range todo {
		how := ended[j.node.Name]
		if how == "" {
			how = "not started"
		}
		by[how] = append(by[how], j.node.Name)
	}
	var parts []string
	for _, p := range []struct{ how, words string }{
		{"failed", "failed for "}, {"finished", "finished for "}, {"stopped", "was stopped for "}, {"not started", "did not start for "},
	} {
		if names := by[p.how]; len(names) > 0 {
			parts = append(parts, p.words+strings.Join(names, ", "))
		}
	}
	s := parts[0]
	for i, p := range parts[1:] {
		sep := ", "
		if i == len(parts)-2 {
			sep = " and "
		}
		s += sep + p
	}
	return "prepare_command " + s + "."
}
