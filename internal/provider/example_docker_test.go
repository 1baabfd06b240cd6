//go:build unix

package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/fakeops"
	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// The Docker example: examples/resources/apigw_rolling_upgrade/upgrade-docker.sh
// as prepare_command, upgrade_command and rollback_command, every node on
// a Docker host of its own.

const (
	dockerRepo     = "registry.test/apigateway"
	dockerOldImage = dockerRepo + ":10.15.0.5"
	dockerNewImage = dockerRepo + ":" + target
	registryToken  = "reg-T0ken-s3cret"
)

// newDockerTest starts three nodes, each one the container
// apigateway-<node> from the old image on its own Docker host.
func newDockerTest(t *testing.T) *scriptTest {
	return newScriptTest(t, gwsim.Options{Nodes: 3}, &fakeops.World{
		DockerHosts: perNode(func(node string) (string, *fakeops.DockerHost) {
			return dockerHost(node), &fakeops.DockerHost{
				Node:       node,
				Images:     []string{dockerOldImage},
				Containers: map[string]*fakeops.Container{"apigateway-" + node: {Image: dockerOldImage, Running: true, Started: true}},
			}
		}),
	})
}

func dockerHost(node string) string { return "ssh://sag@docker-" + strings.TrimPrefix(node, "gw-") }

// dockerConfig wires the script as the example's resource.tf does;
// rollback adds rollback_command.
func (s *scriptTest) dockerConfig(rollback bool) string {
	script := exampleScript(s.t, "resources/apigw_rolling_upgrade/upgrade-docker.sh")
	extra := fmt.Sprintf(`
  prepare_command = [%q, "prepare"]
  command_env = {
    IMAGE_REPOSITORY = %q
    DOCKER_HOSTS     = "gw-1=%s gw-2=%s gw-3=%s"
  }
  command_secret_env = {
    REGISTRY_USER  = "deploy"
    REGISTRY_TOKEN = %q
  }
`, script, dockerRepo, dockerHost("gw-1"), dockerHost("gw-2"), dockerHost("gw-3"), registryToken)
	if rollback {
		extra += fmt.Sprintf("  rollback_command = [%q, \"rollback\"]\n", script)
	}
	s.upgrade = []string{script, "upgrade"}
	return s.config(target, extra)
}

// TestAccExampleDocker: the image is pulled on every node's own Docker
// host by prepare_command, before the first node is quiesced; each node's
// container is then replaced by one from that image without a pull, the
// old one kept for a rollback; the registry token never reaches a command
// line.
func TestAccExampleDocker(t *testing.T) {
	s := newDockerTest(t)
	s.w.setConfig(s.dockerConfig(true))
	start := time.Now()
	s.w.mustRun(applyArgs...)
	s.checkAllOn(toVersion)

	docker := s.calls("docker")
	quiesced := s.firstQuiesce(start)
	for i := 1; i <= 3; i++ {
		node := fmt.Sprintf("gw-%d", i)
		pulls := callsMatching(docker, "pull "+dockerNewImage)
		pulls = filterEnv(pulls, "DOCKER_HOST", dockerHost(node))
		if len(pulls) != 1 {
			t.Errorf("%s: %d pulls of %s on %s, want 1", node, len(pulls), dockerNewImage, dockerHost(node))
		} else if !pulls[0].At.Before(quiesced) {
			t.Errorf("%s: the image was pulled at %s, after the first quiesce at %s", node, pulls[0].At.Format(time.StampMicro), quiesced.Format(time.StampMicro))
		}
		for _, c := range filterEnv(docker, "APIGW_NODE_NAME", node) {
			if c.Env["DOCKER_HOST"] != dockerHost(node) {
				t.Errorf("%s: %q ran against DOCKER_HOST %q, want %s", node, c.Line(), c.Env["DOCKER_HOST"], dockerHost(node))
			}
		}
		h := s.readWorld().DockerHosts[dockerHost(node)]
		cur, prev := h.Containers["apigateway-"+node], h.Containers["apigateway-"+node+"-previous"]
		if cur == nil || cur.Image != dockerNewImage || !cur.Running || prev == nil || prev.Image != dockerOldImage || prev.Running {
			t.Errorf("%s: containers %+v, want apigateway-%s running %s and the stopped old one kept as -previous", node, h.Containers, node, dockerNewImage)
		}
	}
	for _, c := range docker {
		if strings.Contains(c.Line(), registryToken) {
			t.Errorf("the registry token is on a command line: %s", c.Line())
		}
	}
	if logins := callsMatching(docker, "login --username deploy --password-stdin registry.test"); len(logins) != 3 {
		t.Errorf("%d registry logins, want one per node before its pull", len(logins))
	}
}

// TestAccExampleDocker_rollbackAndResume: a container that cannot start
// is rolled back to the old container; an apply without rollback_command
// leaves the node stopped, the old container renamed; someone removes
// that one; the next apply resumes the node (APIGW_FROM_VERSION empty) and
// finishes the rollout.
func TestAccExampleDocker_rollbackAndResume(t *testing.T) {
	s := newDockerTest(t)
	runFails := func() {
		s.world(func(w *fakeops.World) {
			w.Failures = append(w.Failures, &fakeops.Failure{Tool: "docker", Match: "run -d --pull never --name apigateway-gw-2 ", Times: 1,
				Stderr: "docker: Error response from daemon: failed to create task for container: OCI runtime create failed.", Exit: 125})
		})
	}

	runFails()
	s.w.setConfig(s.dockerConfig(true))
	s.applyFails("gw-2", "OCI runtime create failed", "rollback_command brought the node back on "+fromVersion)
	if v := s.cluster.Node("gw-2").Version(); v != fromVersion {
		t.Fatalf("after the rollback gw-2 runs %s, want %s", v, fromVersion)
	}
	h := s.readWorld().DockerHosts[dockerHost("gw-2")]
	if c := h.Containers["apigateway-gw-2"]; c == nil || c.Image != dockerOldImage || !c.Running || h.Containers["apigateway-gw-2-previous"] != nil {
		t.Fatalf("after the rollback gw-2's containers are %+v, want the old one running as apigateway-gw-2", h.Containers)
	}

	runFails()
	s.w.setConfig(s.dockerConfig(false))
	s.applyFails("gw-2", "OCI runtime create failed")
	s.world(func(w *fakeops.World) {
		delete(w.DockerHosts[dockerHost("gw-2")].Containers, "apigateway-gw-2-previous")
	})

	since := time.Now()
	s.w.mustRun(applyArgs...)
	s.checkAllOn(toVersion)
	resumed := callsMatching(callsSince(s.calls("docker"), since), "run -d --pull never --name apigateway-gw-2 ")
	if len(resumed) != 1 || resumed[0].Env["APIGW_FROM_VERSION"] != "" {
		t.Errorf("resumed gw-2 with %+v, want one docker run with APIGW_FROM_VERSION empty", resumed)
	}
}

// filterEnv keeps the calls made with env[key] == value.
func filterEnv(calls []fakeops.Call, key, value string) []fakeops.Call {
	var out []fakeops.Call
	for _, c := range calls {
		if c.Env[key] == value {
			out = append(out, c)
		}
	}
	return out
}
