//go:build unix

package fakeops

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// kubectl serves the commands the Kubernetes example uses against one
// StatefulSet: set image, get (as JSON) and delete pod. A StatefulSet
// controller stands behind it: a deleted pod comes back from the pod
// template, and with updateStrategy RollingUpdate a new template image
// replaces every pod at once, the way the real controller would, which is
// what the example must avoid.
func kubectl(s *session) error {
	k := s.world.Kube
	if k == nil {
		return fail(1, "The connection to the server localhost:8080 was refused - did you specify the right host or port?")
	}
	cl, err := parseKubectl(s.args)
	if err != nil {
		return err
	}
	ns, words, output, ignoreNotFound := cl.namespace, cl.words, cl.output, cl.ignoreNotFound
	if len(words) == 0 {
		return fail(1, "fake kubectl: no command")
	}
	verb, rest := words[0], words[1:]
	kind, name := resource(rest)
	if kind == "" {
		return fail(1, "error: you must specify the type of resource and its name")
	}
	sts := kind == "statefulset"
	if verb == "get" && !sts && ns == k.Namespace && k.Pods[name] == nil && ignoreNotFound {
		return nil
	}
	switch {
	case sts && (ns != k.Namespace || name != k.StatefulSet):
		return fail(1, "Error from server (NotFound): statefulsets.apps %q not found", name)
	case !sts && (ns != k.Namespace || k.Pods[name] == nil):
		return fail(1, "Error from server (NotFound): pods %q not found", name)
	}
	switch {
	case verb == "get" && output != "json":
		return fail(1, "fake kubectl: get is simulated with -o json only")
	case verb == "get" && sts:
		return printJSON(s, k.statefulSetJSON())
	case verb == "get":
		return printJSON(s, k.podJSON(name))
	case verb == "set" && sts && len(rest) == 3 && rest[0] == "image":
		return k.setImage(s, rest[2])
	case verb == "delete" && !sts:
		return k.deletePod(s, name)
	}
	return fail(1, "fake kubectl: %q is not simulated", strings.Join(words, " "))
}

// kubectlLine is a kubectl command line read: its words and the flags the
// fake acts on.
type kubectlLine struct {
	namespace, output string
	words             []string
	ignoreNotFound    bool
}

// parseKubectl reads the flags the example passes; other flags are refused
// as kubectl refuses unknown ones.
func parseKubectl(args []string) (kubectlLine, error) {
	cl := kubectlLine{namespace: "default"}
	for i := 0; i < len(args); i++ {
		flag, value, inline := strings.Cut(args[i], "=")
		switch flag {
		case "-n", "--namespace", "-o", "--output", "--context", "--request-timeout", "--timeout", "--grace-period", "--wait":
			if !inline && flag != "--wait" {
				if i+1 == len(args) {
					return cl, fail(1, "error: flag needs an argument: %s", flag)
				}
				i++
				value = args[i]
			}
			switch flag {
			case "-n", "--namespace":
				cl.namespace = value
			case "-o", "--output":
				cl.output = value
			}
		case "--ignore-not-found":
			cl.ignoreNotFound = value == "" || value == "true"
		default:
			if strings.HasPrefix(flag, "-") {
				return cl, fail(1, "error: unknown flag: %s", flag)
			}
			cl.words = append(cl.words, args[i])
		}
	}
	return cl, nil
}

// resource reads "KIND/NAME" or "KIND NAME" after the verb (after "image"
// for set image).
func resource(words []string) (kind, name string) {
	if len(words) > 0 && words[0] == "image" {
		words = words[1:]
	}
	if len(words) == 0 {
		return "", ""
	}
	kind, name, ok := strings.Cut(words[0], "/")
	if !ok && len(words) > 1 {
		name = words[1]
	}
	switch kind {
	case "statefulset", "statefulsets", "sts", "statefulset.apps":
		return "statefulset", name
	case "pod", "pods", "po":
		return "pod", name
	}
	return "", ""
}

func (k *Kube) setImage(s *session, spec string) error {
	container, image, ok := strings.Cut(spec, "=")
	if !ok || container != k.Container {
		return fail(1, "error: unable to find container named %q", container)
	}
	if image == k.Image {
		return nil // kubectl prints nothing when nothing changed
	}
	k.Image = image
	fmt.Fprintf(s.stdout, "statefulset.apps/%s image updated\n", k.StatefulSet)
	if k.UpdateStrategy == "OnDelete" {
		return nil
	}
	names := make([]string, 0, len(k.Pods))
	for n := range k.Pods {
		names = append(names, n)
	}
	slices.Sort(names)
	slices.Reverse(names) // the controller replaces the highest ordinal first
	for _, n := range names {
		if err := k.recreate(s, n); err != nil {
			return err
		}
	}
	return nil
}

func (k *Kube) deletePod(s *session, name string) error {
	fmt.Fprintf(s.stdout, "pod %q deleted\n", name)
	return k.recreate(s, name)
}

// recreate is the controller's answer to a missing pod: a new one from the
// template, a new container whose settings are those of a first start.
func (k *Kube) recreate(s *session, name string) error {
	p := k.Pods[name]
	if err := s.stop(p.Node); err != nil {
		return err
	}
	p.Image = k.Image
	return s.start(p.Node, imageTag(p.Image), true)
}

func (k *Kube) containers(image string) []map[string]any {
	return []map[string]any{{"name": k.Container, "image": image}}
}

func (k *Kube) statefulSetJSON() map[string]any {
	return map[string]any{
		"apiVersion": "apps/v1", "kind": "StatefulSet",
		"metadata": map[string]any{"name": k.StatefulSet, "namespace": k.Namespace},
		"spec": map[string]any{
			"replicas":       len(k.Pods),
			"updateStrategy": map[string]any{"type": k.UpdateStrategy},
			"template":       map[string]any{"spec": map[string]any{"containers": k.containers(k.Image)}},
		},
	}
}

func (k *Kube) podJSON(name string) map[string]any {
	p := k.Pods[name]
	return map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "namespace": k.Namespace},
		"spec":     map[string]any{"containers": k.containers(p.Image)},
		"status": map[string]any{"phase": "Running",
			"containerStatuses": []map[string]any{{"name": k.Container, "image": p.Image}}},
	}
}

func printJSON(s *session, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	fmt.Fprintln(s.stdout, string(b))
	return nil
}
