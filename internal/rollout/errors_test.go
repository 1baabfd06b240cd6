package rollout

import (
	"errors"
	"testing"
)

func TestStepErrorFormat(t *testing.T) {
	err := error(&StepError{Node: "gw-2", Step: StepDrain, Err: errors.New("still answering"), Hint: "Do X."})
	if got, want := err.Error(), `node "gw-2": drain failed: still answering. Do X.`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	inner := &CommandError{Step: "upgrade", Program: "/opt/u.sh", ExitCode: 3, Tail: "a\nb\n"}
	err = &StepError{Node: "gw-2", Step: StepUpgradeCommand, Err: inner, Hint: "Do X."}
	if got, want := err.Error(), `node "gw-2": upgrade_command failed: command "upgrade" (/opt/u.sh) exited with status 3: a`+"\nb.\nDo X."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 3 {
		t.Error("StepError does not unwrap to its cause")
	}
}
