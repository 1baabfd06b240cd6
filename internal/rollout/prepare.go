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
		failed   []string
	)
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
				r.ev.emit(j.node.Name, EventPrepared, "prepare_command finished in %s", r.since(t0))
				return
			case prepCtx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
				return // stopped: another node's prepare failed, or the apply was interrupted
			}
			mu.Lock()
			failed = append(failed, j.node.Name)
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
			hint = fmt.Sprintf("prepare_command failed for %s; it was stopped or not started for the other nodes. ", strings.Join(failed, ", ")) + hint
		}
		last := failures[len(failures)-1].(*StepError) //nolint:errorlint // built above
		last.Hint = hint
		return errors.Join(failures...)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("prepare_command %w, before any node was taken out of service; re-run terraform apply to continue", interrupted(err))
	}
	r.ev.emit("", EventPrepareDone, "prepare_command finished for %d nodes in %s; next: %s", len(todo), r.since(start), jobs[0].node.Name)
	return nil
}
