// Package kubernetes_test checks the Kubernetes manifests in this folder: every file
// decodes strictly (unknown or misspelt fields are errors) into the k8s.io/api types,
// kustomization.yaml lists exactly these files, and the objects fit together: the
// ports, probes, volumes, Secret, ConfigMap and Service names that the containers'
// command lines name exist and agree, and the command lines use flags that critsweep
// has.
package kubernetes_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/internal/deploytest"
	"github.com/critsweep/critsweep/spec"
)

// kustomization is the part of kustomize's Kustomization that this folder uses.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// objects are the decoded manifests, by name.
type objects struct {
	namespace    string // kustomization's
	namespaces   map[string]*corev1.Namespace
	secrets      map[string]*corev1.Secret
	configMaps   map[string]*corev1.ConfigMap
	services     map[string]*corev1.Service
	statefulSets map[string]*appsv1.StatefulSet
	deployments  map[string]*appsv1.Deployment
	jobs         map[string]*batchv1.Job
}

// decodeAll reads kustomization.yaml and every resource it lists, strictly.
func decodeAll(t *testing.T) (*kustomization, *objects) {
	t.Helper()
	var k kustomization
	data, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml is %s %s, want kustomize.config.k8s.io/v1beta1 Kustomization", k.APIVersion, k.Kind)
	}
	objs := &objects{
		namespace:    k.Namespace,
		namespaces:   map[string]*corev1.Namespace{},
		secrets:      map[string]*corev1.Secret{},
		configMaps:   map[string]*corev1.ConfigMap{},
		services:     map[string]*corev1.Service{},
		statefulSets: map[string]*appsv1.StatefulSet{},
		deployments:  map[string]*appsv1.Deployment{},
		jobs:         map[string]*batchv1.Job{},
	}
	for _, file := range k.Resources {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("kustomization.yaml lists %s: %v", file, err)
		}
		for i, doc := range splitDocuments(data) {
			if err := objs.decode(doc); err != nil {
				t.Errorf("%s, document %d: %v", file, i+1, err)
			}
		}
	}
	return &k, objs
}

// splitDocuments splits a YAML stream at its "---" lines and drops empty documents.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for doc := range strings.SplitSeq(string(data), "\n---\n") {
		doc = strings.TrimPrefix(doc, "---\n")
		empty := true
		for line := range strings.Lines(doc) {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				empty = false
			}
		}
		if !empty {
			docs = append(docs, []byte(doc))
		}
	}
	return docs
}

// decode decodes one manifest strictly into the type its apiVersion and kind name.
func (o *objects) decode(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	var obj interface {
		GetName() string
		GetNamespace() string
	}
	var add func()
	switch gvk := tm.APIVersion + " " + tm.Kind; gvk {
	case "v1 Namespace":
		x := new(corev1.Namespace)
		obj, add = x, func() { o.namespaces[x.Name] = x }
	case "v1 Secret":
		x := new(corev1.Secret)
		obj, add = x, func() { o.secrets[x.Name] = x }
	case "v1 ConfigMap":
		x := new(corev1.ConfigMap)
		obj, add = x, func() { o.configMaps[x.Name] = x }
	case "v1 Service":
		x := new(corev1.Service)
		obj, add = x, func() { o.services[x.Name] = x }
	case "apps/v1 StatefulSet":
		x := new(appsv1.StatefulSet)
		obj, add = x, func() { o.statefulSets[x.Name] = x }
	case "apps/v1 Deployment":
		x := new(appsv1.Deployment)
		obj, add = x, func() { o.deployments[x.Name] = x }
	case "batch/v1 Job":
		x := new(batchv1.Job)
		obj, add = x, func() { o.jobs[x.Name] = x }
	default:
		return fmt.Errorf("unexpected kind %q", gvk)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if obj.GetName() == "" {
		return fmt.Errorf("%s without a name", tm.Kind)
	}
	if ns := obj.GetNamespace(); ns != "" {
		return fmt.Errorf("%s %s sets namespace %q: leave it to kustomization.yaml", tm.Kind, obj.GetName(), ns)
	}
	add()
	return nil
}

// TestKustomizationListsEveryManifest checks that kustomization.yaml lists each YAML file
// of the folder once (and nothing else), that it names its namespace, and that the image it pins is the
// one every container runs.
func TestKustomizationListsEveryManifest(t *testing.T) {
	k, objs := decodeAll(t)
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return f == "kustomization.yaml" })
	listed := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(listed, files) {
		t.Errorf("kustomization.yaml resources %v, want the folder's files %v", listed, files)
	}
	if k.Namespace == "" || objs.namespaces[k.Namespace] == nil {
		t.Errorf("kustomization.yaml namespace %q, want one of the Namespaces it creates", k.Namespace)
	}
	if len(k.Images) != 1 {
		t.Fatalf("kustomization.yaml images %v, want one", k.Images)
	}
	for _, pod := range objs.pods() {
		for _, c := range pod.spec.Containers {
			name, _, _ := strings.Cut(c.Image, ":")
			if name != k.Images[0].Name {
				t.Errorf("%s: image %s, want %s (the image kustomization.yaml sets)", pod.what, c.Image, k.Images[0].Name)
			}
		}
	}
}

// pod is a pod template with what it belongs to.
type pod struct {
	what   string // "StatefulSet critsweep-coordinator"
	labels map[string]string
	spec   *corev1.PodSpec
}

func (o *objects) pods() []pod {
	var pods []pod
	for _, name := range slices.Sorted(mapsKeys(o.statefulSets)) {
		s := o.statefulSets[name]
		pods = append(pods, pod{"StatefulSet " + name, s.Spec.Template.Labels, &s.Spec.Template.Spec})
	}
	for _, name := range slices.Sorted(mapsKeys(o.deployments)) {
		d := o.deployments[name]
		pods = append(pods, pod{"Deployment " + name, d.Spec.Template.Labels, &d.Spec.Template.Spec})
	}
	for _, name := range slices.Sorted(mapsKeys(o.jobs)) {
		j := o.jobs[name]
		pods = append(pods, pod{"Job " + name, j.Spec.Template.Labels, &j.Spec.Template.Spec})
	}
	return pods
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestManifestsFitTogether checks the wiring between the objects.
func TestManifestsFitTogether(t *testing.T) {
	_, objs := decodeAll(t)
	flags, err := deploytest.LoadFlags()
	if err != nil {
		t.Fatal(err)
	}
	if len(objs.statefulSets) != 1 || len(objs.deployments) != 1 || len(objs.jobs) != 1 {
		t.Fatalf("want one StatefulSet (coordinator), one Deployment (workers), one Job (submit); have %d, %d, %d",
			len(objs.statefulSets), len(objs.deployments), len(objs.jobs))
	}

	// Every container runs critsweep (the image's ENTRYPOINT) with a valid command line,
	// as a non-root user that cannot gain privileges, and every file flag names a
	// mounted file.
	commands := map[string]*deploytest.CommandLine{}
	containers := map[string]*corev1.Container{}
	for _, p := range objs.pods() {
		if len(p.spec.Containers) != 1 {
			t.Fatalf("%s: %d containers, want 1", p.what, len(p.spec.Containers))
		}
		c := &p.spec.Containers[0]
		if len(c.Command) != 0 {
			t.Errorf("%s: command %q overrides the image's ENTRYPOINT (critsweep); give args only", p.what, c.Command)
		}
		cl, err := flags.Parse(c.Args)
		if err != nil {
			t.Errorf("%s: args %q: %v", p.what, c.Args, err)
			continue
		}
		commands[cl.Command], containers[cl.Command] = cl, c
		checkSecurity(t, p)
		if path := cl.Flags["--token-file"]; path == "" {
			t.Errorf("%s: no --token-file: the coordinator is reachable by every pod of the cluster", p.what)
		} else {
			checkSecretFile(t, objs, p, c, path)
		}
	}
	for _, want := range []string{"coordinator", "worker", "submit"} {
		if commands[want] == nil {
			t.Fatalf("no container runs `critsweep %s`", want)
		}
	}
	var sts *appsv1.StatefulSet
	for _, s := range objs.statefulSets {
		sts = s
	}
	coord, coordC := commands["coordinator"], containers["coordinator"]
	if a := coordC.Args[0]; a != "coordinator" || sts.Spec.Template.Spec.Containers[0].Args[0] != "coordinator" {
		t.Fatalf("the StatefulSet does not run the coordinator")
	}

	// The coordinator: one replica; --listen and --metrics-listen are its container
	// ports; the probes ask the gRPC health service on the --listen port.
	if r := sts.Spec.Replicas; r == nil || *r != 1 {
		t.Errorf("coordinator replicas %s, want exactly 1 (the database admits one process)", optional(r))
	}
	grpcPort := listenPort(t, "coordinator --listen", coord.Flags["--listen"])
	checkContainerPort(t, coordC, "grpc", grpcPort)
	checkContainerPort(t, coordC, "metrics", listenPort(t, "coordinator --metrics-listen", coord.Flags["--metrics-listen"]))
	for name, probe := range map[string]*corev1.Probe{"readinessProbe": coordC.ReadinessProbe, "livenessProbe": coordC.LivenessProbe, "startupProbe": coordC.StartupProbe} {
		switch {
		case probe == nil && name == "startupProbe":
		case probe == nil || probe.GRPC == nil:
			t.Errorf("coordinator %s %v, want a grpc probe (the health service)", name, probe)
		case probe.GRPC.Port != grpcPort:
			t.Errorf("coordinator %s probes port %d, want the --listen port %d", name, probe.GRPC.Port, grpcPort)
		case probe.GRPC.Service != nil && *probe.GRPC.Service != "":
			t.Errorf("coordinator %s asks for service %q; the server reports \"\" (and the Coordinator service)", name, *probe.GRPC.Service)
		}
	}
	if coordC.ReadinessProbe == nil || coordC.LivenessProbe == nil {
		t.Error("the coordinator needs a readinessProbe and a livenessProbe")
	}
	if gp := sts.Spec.Template.Spec.TerminationGracePeriodSeconds; gp != nil {
		checkGrace(t, "coordinator", *gp, coord.Flags["--shutdown-timeout"], coordinator.DefaultShutdownTimeout)
	}

	// The database lives on the volume claim template's volume.
	db := coord.Flags["--db"]
	if db == "" || !filepath.IsAbs(db) {
		t.Fatalf("coordinator --db %q, want an absolute path on the persistent volume", db)
	}
	mount := mountOf(coordC, db)
	if mount == nil {
		t.Fatalf("coordinator --db %s is on no volume mount", db)
	}
	var claim *corev1.PersistentVolumeClaim
	for i := range sts.Spec.VolumeClaimTemplates {
		if sts.Spec.VolumeClaimTemplates[i].Name == mount.Name {
			claim = &sts.Spec.VolumeClaimTemplates[i]
		}
	}
	switch {
	case claim == nil:
		t.Errorf("coordinator --db %s is on volume %q, which is no volumeClaimTemplate", db, mount.Name)
	case mount.ReadOnly:
		t.Errorf("the database's mount %s is read-only", mount.MountPath)
	case !slices.Contains(claim.Spec.AccessModes, corev1.ReadWriteOnce):
		t.Errorf("volume claim %s access modes %v, want ReadWriteOnce", claim.Name, claim.Spec.AccessModes)
	case claim.Spec.Resources.Requests.Storage().IsZero():
		t.Errorf("volume claim %s requests no storage", claim.Name)
	}

	// The Services select the coordinator's pod, and their target ports are its ports;
	// the StatefulSet is governed by a headless one.
	coordLabels := sts.Spec.Template.Labels
	if sel, err := metav1.LabelSelectorAsMap(sts.Spec.Selector); err != nil || !subset(sel, coordLabels) {
		t.Errorf("StatefulSet selector %v does not select its pod template %v", sts.Spec.Selector, coordLabels)
	}
	for _, svc := range objs.services {
		if !subset(svc.Spec.Selector, coordLabels) {
			t.Errorf("Service %s selects %v, not the coordinator's pod %v", svc.Name, svc.Spec.Selector, coordLabels)
		}
		for _, p := range svc.Spec.Ports {
			if _, ok := resolveTarget(coordC, p); !ok {
				t.Errorf("Service %s port %s targets %v, which is no port of the coordinator's container", svc.Name, p.Name, p.TargetPort)
			}
		}
	}
	governing := objs.services[sts.Spec.ServiceName]
	if governing == nil || governing.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("StatefulSet serviceName %q, want a headless Service of this folder", sts.Spec.ServiceName)
	}

	// Workers and the submit Job dial a Service port that leads to the coordinator's
	// gRPC port.
	for _, cmd := range []string{"worker", "submit"} {
		target := commands[cmd].Flags["--coordinator"]
		host, port, err := net.SplitHostPort(target)
		if err != nil {
			t.Errorf("%s --coordinator %q: %v", cmd, target, err)
			continue
		}
		svc := objs.serviceByDNSName(host)
		if svc == nil || svc.Spec.ClusterIP == corev1.ClusterIPNone {
			t.Errorf("%s --coordinator %s: %q is not the DNS name of a ClusterIP Service here (critsweep-coordinator[.%s[.svc]])", cmd, target, host, objs.namespace)
			continue
		}
		found := false
		for _, p := range svc.Spec.Ports {
			if strconv.Itoa(int(p.Port)) == port {
				found = true
				if cp, ok := resolveTarget(coordC, p); !ok || cp != grpcPort {
					t.Errorf("%s --coordinator %s: Service port %s leads to container port %d, want the gRPC port %d", cmd, target, port, cp, grpcPort)
				}
			}
		}
		if !found {
			t.Errorf("%s --coordinator %s: Service %s has no port %s", cmd, target, svc.Name, port)
		}
	}

	// Workers: a slot per CPU of the limit (the Go runtime sees the node's CPUs), enough
	// grace to checkpoint at SIGTERM, a container port for --metrics-listen.
	var dep *appsv1.Deployment
	for _, d := range objs.deployments {
		dep = d
	}
	w, wc := commands["worker"], containers["worker"]
	if dep.Spec.Template.Spec.Containers[0].Args[0] != "worker" {
		t.Fatal("the Deployment does not run workers")
	}
	slots, err := strconv.Atoi(w.Flags["--slots"])
	if err != nil {
		t.Errorf("worker --slots %q: set it to the CPU limit (the default is the node's CPU count)", w.Flags["--slots"])
	}
	cpuLimit, cpuRequest := wc.Resources.Limits.Cpu(), wc.Resources.Requests.Cpu()
	if cpuLimit.IsZero() || cpuLimit.MilliValue() != int64(slots)*1000 || cpuRequest.Cmp(*cpuLimit) != 0 {
		t.Errorf("worker --slots %d, CPU request %v and limit %v: want a slot per CPU, request = limit", slots, cpuRequest, cpuLimit)
	}
	if wc.Resources.Limits.Memory().IsZero() || wc.Resources.Requests.Memory().IsZero() {
		t.Errorf("worker memory request %v, limit %v: want both", wc.Resources.Requests.Memory(), wc.Resources.Limits.Memory())
	}
	if gp := dep.Spec.Template.Spec.TerminationGracePeriodSeconds; gp == nil || *gp < 60 {
		t.Errorf("worker terminationGracePeriodSeconds %s, want at least 60 (a last checkpoint of every slot)", optional(gp))
	} else {
		checkGrace(t, "worker", *gp, w.Flags["--shutdown-timeout"], 10*time.Second)
	}
	if ml := w.Flags["--metrics-listen"]; ml != "" {
		checkContainerPort(t, wc, "metrics", listenPort(t, "worker --metrics-listen", ml))
	}
	if r := dep.Spec.Replicas; r == nil || *r < 1 {
		t.Errorf("worker replicas %s, want at least 1", optional(r))
	}
	if sel, err := metav1.LabelSelectorAsMap(dep.Spec.Selector); err != nil || !subset(sel, dep.Spec.Template.Labels) || subset(sel, coordLabels) {
		t.Errorf("Deployment selector %v must select its own pods %v and not the coordinator's", dep.Spec.Selector, dep.Spec.Template.Labels)
	}

	// The Job submits the spec of the ConfigMap it mounts, which is a valid sweep.
	var job *batchv1.Job
	for _, j := range objs.jobs {
		job = j
	}
	sub, subC := commands["submit"], containers["submit"]
	if len(sub.Args) != 1 {
		t.Fatalf("submit args %q, want one SPEC", sub.Args)
	}
	if rp := job.Spec.Template.Spec.RestartPolicy; rp != corev1.RestartPolicyOnFailure && rp != corev1.RestartPolicyNever {
		t.Errorf("Job restartPolicy %q, want OnFailure or Never", rp)
	}
	if job.Spec.BackoffLimit == nil || *job.Spec.BackoffLimit < 3 {
		t.Errorf("Job backoffLimit %s, want some retries while the coordinator starts", optional(job.Spec.BackoffLimit))
	}
	if job.Spec.TTLSecondsAfterFinished != nil {
		t.Error("Job ttlSecondsAfterFinished is set: once the Job is gone, the next apply submits the sweep again")
	}
	specYAML := configMapFile(t, objs, &job.Spec.Template.Spec, subC, sub.Args[0])
	parsed, err := spec.Parse([]byte(specYAML))
	if err == nil {
		err = spec.Validate(parsed, 0)
	}
	if err != nil {
		t.Errorf("the submitted spec %s is not a valid sweep: %v", sub.Args[0], err)
	}
}

// checkSecurity checks a pod runs as non-root, without privilege escalation, with a
// read-only root file system and no service account token.
func checkSecurity(t *testing.T, p pod) {
	t.Helper()
	psc := p.spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext %v, want runAsNonRoot and a non-zero runAsUser", p.what, psc)
	}
	if a := p.spec.AutomountServiceAccountToken; a == nil || *a {
		t.Errorf("%s: automountServiceAccountToken %v, want false (critsweep does not call the API server)", p.what, a)
	}
	for _, c := range p.spec.Containers {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("%s: container %s has no securityContext", p.what, c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("%s: container %s may escalate privileges", p.what, c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("%s: container %s has a writable root file system", p.what, c.Name)
		case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL"):
			t.Errorf("%s: container %s does not drop ALL capabilities", p.what, c.Name)
		}
		if c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: container %s has no memory limit", p.what, c.Name)
		}
	}
}

// checkSecretFile checks that path is a key of a Secret of the folder, mounted
// read-only in the container, readable by the pod's user or group.
func checkSecretFile(t *testing.T, objs *objects, p pod, c *corev1.Container, path string) {
	t.Helper()
	m := mountOf(c, path)
	if m == nil {
		t.Errorf("%s: --token-file %s is on no volume mount", p.what, path)
		return
	}
	vol := volumeOf(p.spec, m.Name)
	if vol == nil || vol.Secret == nil {
		t.Errorf("%s: --token-file %s is on volume %q, which is no Secret volume", p.what, path, m.Name)
		return
	}
	secret := objs.secrets[vol.Secret.SecretName]
	if secret == nil {
		t.Errorf("%s: volume %s mounts Secret %q, which is not in this folder", p.what, m.Name, vol.Secret.SecretName)
		return
	}
	key := keyFor(vol.Secret.Items, relPath(m.MountPath, path))
	_, inData := secret.Data[key]
	_, inString := secret.StringData[key]
	if !inData && !inString {
		t.Errorf("%s: --token-file %s is key %q of Secret %s, which has no such key", p.what, path, key, secret.Name)
	}
	if !m.ReadOnly {
		t.Errorf("%s: the Secret %s is mounted read-write", p.what, secret.Name)
	}
	// The files are root's; the pod's non-root user reads them through its fsGroup,
	// which needs a group-readable mode, and nobody else should.
	mode := int32(0o644)
	if vol.Secret.DefaultMode != nil {
		mode = *vol.Secret.DefaultMode
	}
	if sc := p.spec.SecurityContext; sc == nil || sc.FSGroup == nil || mode&0o040 == 0 {
		t.Errorf("%s: Secret %s mounted with mode %#o: want fsGroup and a group-readable mode (0440)", p.what, secret.Name, mode)
	}
	if mode&0o004 != 0 {
		t.Errorf("%s: Secret %s is mounted world-readable (mode %#o)", p.what, secret.Name, mode)
	}
}

// configMapFile returns the content of path, a key of a ConfigMap of the folder mounted
// in the container.
func configMapFile(t *testing.T, objs *objects, spec *corev1.PodSpec, c *corev1.Container, path string) string {
	t.Helper()
	m := mountOf(c, path)
	if m == nil {
		t.Fatalf("%s is on no volume mount of %s", path, c.Name)
	}
	vol := volumeOf(spec, m.Name)
	if vol == nil || vol.ConfigMap == nil {
		t.Fatalf("%s is on volume %q, which is no ConfigMap volume", path, m.Name)
	}
	cm := objs.configMaps[vol.ConfigMap.Name]
	if cm == nil {
		t.Fatalf("volume %s mounts ConfigMap %q, which is not in this folder", m.Name, vol.ConfigMap.Name)
	}
	key := keyFor(vol.ConfigMap.Items, relPath(m.MountPath, path))
	data, ok := cm.Data[key]
	if !ok {
		t.Fatalf("%s is key %q of ConfigMap %s, which has no such key", path, key, cm.Name)
	}
	return data
}

// mountOf returns the container's volume mount that holds path (the longest match).
func mountOf(c *corev1.Container, path string) *corev1.VolumeMount {
	var best *corev1.VolumeMount
	for i := range c.VolumeMounts {
		m := &c.VolumeMounts[i]
		if relPath(m.MountPath, path) != "" && (best == nil || len(m.MountPath) > len(best.MountPath)) {
			best = m
		}
	}
	return best
}

// relPath returns path relative to dir, or "" when path is not below dir.
func relPath(dir, path string) string {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return ""
	}
	return rel
}

func volumeOf(spec *corev1.PodSpec, name string) *corev1.Volume {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}

// keyFor returns the key projected to file rel: through items when given, else rel
// itself.
func keyFor(items []corev1.KeyToPath, rel string) string {
	if len(items) == 0 {
		return rel
	}
	for _, it := range items {
		if it.Path == rel {
			return it.Key
		}
	}
	return ""
}

// listenPort returns the port of a HOST:PORT flag value.
func listenPort(t *testing.T, what, hostPort string) int32 {
	t.Helper()
	_, port, err := net.SplitHostPort(hostPort)
	n, perr := strconv.ParseUint(port, 10, 16)
	if err != nil || perr != nil || n == 0 {
		t.Fatalf("%s %q: want HOST:PORT with a fixed port", what, hostPort)
	}
	return int32(n)
}

// checkContainerPort checks the container declares port under name.
func checkContainerPort(t *testing.T, c *corev1.Container, name string, port int32) {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			if p.ContainerPort != port {
				t.Errorf("container %s port %s is %d, but the command line listens on %d", c.Name, name, p.ContainerPort, port)
			}
			return
		}
	}
	t.Errorf("container %s declares no port %q (the command line listens on %d)", c.Name, name, port)
}

// resolveTarget returns the container port a Service port leads to.
func resolveTarget(c *corev1.Container, p corev1.ServicePort) (int32, bool) {
	target := p.TargetPort
	if target.Type == intstr.Int && target.IntVal == 0 {
		target = intstr.FromInt32(p.Port) // targetPort defaults to port
	}
	for _, cp := range c.Ports {
		if target.Type == intstr.String && cp.Name == target.StrVal || target.Type == intstr.Int && cp.ContainerPort == target.IntVal {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

// serviceByDNSName returns the Service that host names from inside the namespace:
// NAME, NAME.NAMESPACE, NAME.NAMESPACE.svc or NAME.NAMESPACE.svc.cluster.local.
func (o *objects) serviceByDNSName(host string) *corev1.Service {
	name, rest, _ := strings.Cut(host, ".")
	switch rest {
	case "", o.namespace, o.namespace + ".svc", o.namespace + ".svc.cluster.local":
		return o.services[name]
	}
	return nil
}

// checkGrace checks the grace period leaves the command its --shutdown-timeout and 10
// seconds more.
func checkGrace(t *testing.T, what string, grace int64, flag string, def time.Duration) {
	t.Helper()
	timeout := def
	if flag != "" {
		d, err := time.ParseDuration(flag)
		if err != nil {
			t.Errorf("%s --shutdown-timeout %q: %v", what, flag, err)
			return
		}
		timeout = d
	}
	if time.Duration(grace)*time.Second < timeout+10*time.Second {
		t.Errorf("%s terminationGracePeriodSeconds %d < --shutdown-timeout %v + 10 s", what, grace, timeout)
	}
}

// optional formats an optional number.
func optional[N int32 | int64](n *N) string {
	if n == nil {
		return "unset"
	}
	return strconv.FormatInt(int64(*n), 10)
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestStrictDecodingRefusesTypos makes sure the decoding above would catch a misspelt
// field, a wrongly typed value and an unknown kind.
func TestStrictDecodingRefusesTypos(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 1, targetprot: 2}]}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: other}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndata: {c: d}\n",
	} {
		o := &objects{configMaps: map[string]*corev1.ConfigMap{}, services: map[string]*corev1.Service{},
			deployments: map[string]*appsv1.Deployment{}, secrets: map[string]*corev1.Secret{}}
		if err := o.decode([]byte(doc)); err == nil {
			t.Errorf("decode accepted:\n%s", doc)
		}
	}
	// And quantities parse strictly.
	var q resource.Quantity
	if err := yaml.UnmarshalStrict([]byte(`"2 cores"`), &q); err == nil {
		t.Error("a malformed quantity decoded")
	}
}
