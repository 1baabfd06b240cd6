//go:build unix

package provider

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/fakeops"
	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// The Kubernetes example: examples/kubernetes/upgrade-kubernetes.sh as
// prepare_command (check) and upgrade_command, the nodes being the pods
// apigateway-0..2 of a StatefulSet behind a fake kubectl.

const (
	kubeOldImage = "registry.test/apigateway:10.15.0.5"
	kubeNewImage = "registry.test/apigateway:" + target
)

func newKubernetesTest(t *testing.T, strategy string) *scriptTest {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not on PATH: upgrade-kubernetes.sh needs it")
	}
	kube := &fakeops.Kube{Namespace: "apigw", StatefulSet: "apigateway", Container: "apigateway",
		UpdateStrategy: strategy, Image: kubeOldImage, Pods: map[string]*fakeops.Pod{}}
	names := map[string]string{}
	for i := range 3 {
		pod, node := fmt.Sprintf("apigateway-%d", i), fmt.Sprintf("gw-%d", i+1)
		kube.Pods[pod] = &fakeops.Pod{Node: node, Image: kubeOldImage}
		names[node] = pod
	}
	s := newScriptTest(t, gwsim.Options{Nodes: 3}, &fakeops.World{Kube: kube})
	s.names = names
	script := exampleScript(t, "kubernetes/upgrade-kubernetes.sh")
	s.upgrade = []string{script, "upgrade"}
	s.w.setConfig(s.config(target, fmt.Sprintf(`
  prepare_command = [%q, "check"]
  command_env = {
    KUBE_NAMESPACE   = "apigw"
    STATEFULSET      = "apigateway"
    CONTAINER        = "apigateway"
    IMAGE_REPOSITORY = "registry.test/apigateway"
  }
`, script)))
	return s
}

// TestAccExampleKubernetes: each pod is deleted once it is quiesced and
// comes back from the new template; the provider waits for it before the
// next pod. A deletion that fails leaves its pod quiesced on the old image;
// the next apply resumes it (APIGW_FROM_VERSION empty) and deletes it.
func TestAccExampleKubernetes(t *testing.T) {
	s := newKubernetesTest(t, "OnDelete")
	s.world(func(w *fakeops.World) {
		w.Failures = append(w.Failures, &fakeops.Failure{Tool: "kubectl", Match: "delete pod apigateway-1", Times: 1,
			Stderr: "error: You must be logged in to the server (Unauthorized)", Exit: 1})
	})
	s.applyFails("apigateway-1", "You must be logged in to the server (Unauthorized)")
	if got := nodeVersions(s.cluster); got["gw-1"] != toVersion || got["gw-2"] != fromVersion || got["gw-3"] != fromVersion {
		t.Fatalf("after the failed deletion the nodes run %v; want apigateway-0 upgraded, the others not", got)
	}
	if k := s.readWorld().Kube; k.Image != kubeNewImage || k.Pods["apigateway-1"].Image != kubeOldImage || k.Pods["apigateway-2"].Image != kubeOldImage {
		t.Fatalf("template %s, pods %+v %+v; want the new template and the pods not deleted on the old image", k.Image, *k.Pods["apigateway-1"], *k.Pods["apigateway-2"])
	}

	since := time.Now()
	s.w.mustRun(applyArgs...)
	s.checkAllOn(toVersion)
	kubectl := callsSince(s.calls("kubectl"), since)
	resumed := callsMatching(kubectl, "delete pod apigateway-1")
	if len(resumed) != 1 || resumed[0].Env["APIGW_FROM_VERSION"] != "" {
		t.Errorf("resumed apigateway-1 with %+v; want one deletion with APIGW_FROM_VERSION empty", resumed)
	}
	if d := callsMatching(kubectl, "delete pod apigateway-0"); len(d) != 0 {
		t.Errorf("the upgraded pod apigateway-0 was deleted again: %+v", d)
	}
	// Every pod was deleted once, after the node it is had been quiesced.
	for node, pod := range s.names {
		deletions := callsMatching(s.calls("kubectl"), "delete pod "+pod)
		quiesced := firstEvent(s.cluster, node, gwsim.EventQuiesceRequested)
		last := deletions[len(deletions)-1]
		if last.Exit != 0 || quiesced.IsZero() || !last.At.After(quiesced) {
			t.Errorf("%s: deleted at %s (exit %d), quiesced at %s; want the deletion after the quiesce", pod, last.At.Format(time.StampMicro), last.Exit, quiesced.Format(time.StampMicro))
		}
	}
}

// TestAccExampleKubernetes_refusesRollingUpdate: with updateStrategy
// RollingUpdate a new image would restart every pod unquiesced; the check
// in prepare_command stops the apply before any pod is touched.
func TestAccExampleKubernetes_refusesRollingUpdate(t *testing.T) {
	s := newKubernetesTest(t, "RollingUpdate")
	s.applyFails("prepare_command failed", "has updateStrategy RollingUpdate", "set spec.updateStrategy.type to OnDelete")
	if n := countEvents(s.cluster, gwsim.EventQuiesceRequested); len(n) != 0 {
		t.Errorf("nodes were quiesced: %v", n)
	}
	if c := callsMatching(s.calls("kubectl"), "set image"); len(c) != 0 {
		t.Errorf("the image was set: %+v", c)
	}
	s.checkAllOn(fromVersion)
}
