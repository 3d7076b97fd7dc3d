package e2e

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

// built is one kustomize build, every object decoded strictly into its real
// Kubernetes API type.
type built struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	configMaps  []corev1.ConfigMap
	secrets     []corev1.Secret
	pdbs        []policyv1.PodDisruptionBudget
	hpas        []autoscalingv2.HorizontalPodAutoscaler
	policies    []networkingv1.NetworkPolicy
	accounts    []corev1.ServiceAccount
}

// decodeStrict unmarshals one object; a field its API type lacks is an error.
func decodeStrict[T any](t *testing.T, doc []byte, into *[]T) {
	t.Helper()
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		t.Fatalf("strict decode %T: %v\n%s", v, err, doc)
	}
	*into = append(*into, v)
}

func kustomizeBuild(t *testing.T, dir string) built {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := res.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	var b built
	for _, doc := range bytes.Split(out, []byte("\n---\n")) {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.APIVersion + " " + meta.Kind {
		case "apps/v1 Deployment":
			decodeStrict(t, doc, &b.deployments)
		case "v1 Service":
			decodeStrict(t, doc, &b.services)
		case "v1 ConfigMap":
			decodeStrict(t, doc, &b.configMaps)
		case "v1 Secret":
			decodeStrict(t, doc, &b.secrets)
		case "policy/v1 PodDisruptionBudget":
			decodeStrict(t, doc, &b.pdbs)
		case "autoscaling/v2 HorizontalPodAutoscaler":
			decodeStrict(t, doc, &b.hpas)
		case "networking.k8s.io/v1 NetworkPolicy":
			decodeStrict(t, doc, &b.policies)
		case "v1 ServiceAccount":
			decodeStrict(t, doc, &b.accounts)
		default:
			t.Fatalf("%s: unexpected object %s %s (add it to this test)", dir, meta.APIVersion, meta.Kind)
		}
	}
	return b
}

// Every file in deploy/kubernetes, as shipped, decodes strictly too.
func TestKubernetesFilesDecodeStrictly(t *testing.T) {
	root, _ := testbin.ModuleRoot()
	files, _ := filepath.Glob(filepath.Join(root, "deploy/kubernetes/base/*.yaml"))
	if len(files) < 7 {
		t.Fatalf("deploy/kubernetes/base has %d files", len(files))
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct{ Kind string }
		_ = yaml.Unmarshal(doc, &meta)
		var b built
		switch meta.Kind {
		case "Deployment":
			decodeStrict(t, doc, &b.deployments)
		case "Service":
			decodeStrict(t, doc, &b.services)
		case "ConfigMap":
			decodeStrict(t, doc, &b.configMaps)
		case "PodDisruptionBudget":
			decodeStrict(t, doc, &b.pdbs)
		case "HorizontalPodAutoscaler":
			decodeStrict(t, doc, &b.hpas)
		case "NetworkPolicy":
			decodeStrict(t, doc, &b.policies)
		case "ServiceAccount":
			decodeStrict(t, doc, &b.accounts)
		case "Kustomization":
			// Built by TestKubernetesManifests.
		default:
			t.Errorf("%s: unexpected kind %q", f, meta.Kind)
		}
	}
}

func TestKubernetesManifests(t *testing.T) {
	root, _ := testbin.ModuleRoot()
	routes := routerGETRoutes(t)
	for _, overlay := range []string{"base", "overlays/staging", "overlays/production"} {
		t.Run(strings.ReplaceAll(overlay, "/", "_"), func(t *testing.T) {
			b := kustomizeBuild(t, filepath.Join(root, "deploy/kubernetes", overlay))
			checkManifests(t, b, routes)
		})
	}
}

// routerGETRoutes lists the GET routes the binary's router serves.
func routerGETRoutes(t *testing.T) []string {
	t.Helper()
	h := httpapi.NewRouter(httpapi.Options{Server: config.Defaults().Server, MCP: http.NotFoundHandler(), Metrics: http.NotFoundHandler()})
	mux, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("httpapi.NewRouter returns %T, not a chi router", h)
	}
	var out []string
	_ = chi.Walk(mux, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method == http.MethodGet {
			out = append(out, route)
		}
		return nil
	})
	if !slices.Contains(out, "/readyz") || !slices.Contains(out, "/healthz") {
		t.Fatalf("router GET routes %v lack /readyz or /healthz", out)
	}
	return out
}

func checkManifests(t *testing.T, b built, routes []string) {
	if len(b.deployments) != 1 || len(b.services) != 1 || len(b.pdbs) != 1 || len(b.hpas) != 1 || len(b.policies) != 1 || len(b.configMaps) != 1 {
		t.Fatalf("want one each of Deployment, Service, PDB, HPA, NetworkPolicy, ConfigMap; got %d %d %d %d %d %d",
			len(b.deployments), len(b.services), len(b.pdbs), len(b.hpas), len(b.policies), len(b.configMaps))
	}
	if len(b.secrets) != 0 {
		t.Errorf("a Secret is shipped; credentials must be created by the operator, never committed")
	}
	d := b.deployments[0]
	pod := d.Spec.Template
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas = %v, want 3", d.Spec.Replicas)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]

	// Probes hit paths the binary serves, on a port the container exposes.
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe missing or not httpGet", name)
			continue
		}
		if !slices.Contains(routes, p.HTTPGet.Path) {
			t.Errorf("%s probe path %q is not served by the binary (GET routes: %v)", name, p.HTTPGet.Path, routes)
		}
		if _, ok := ports[p.HTTPGet.Port.String()]; !ok && p.HTTPGet.Port.IntValue() == 0 {
			t.Errorf("%s probe port %q is not a container port", name, p.HTTPGet.Port.String())
		}
	}
	if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe on %q, want /readyz (503 while draining)", c.ReadinessProbe.HTTPGet.Path)
	}
	if c.LivenessProbe != nil && c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe on %q, want /healthz (a Snowflake outage must not restart pods)", c.LivenessProbe.HTTPGet.Path)
	}

	// The config the ConfigMap carries loads with the real loader, and the
	// grace period covers the drain it configures.
	cfg := loadConfigMap(t, b.configMaps[0], c)
	grace := time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	drain := cfg.Server.DrainDelay + cfg.Server.DrainTimeout
	if grace <= drain {
		t.Errorf("terminationGracePeriodSeconds %v is not above drain_delay + drain_timeout (%v)", grace, drain)
	}
	if cfg.Server.DrainDelay < time.Duration(c.ReadinessProbe.PeriodSeconds*c.ReadinessProbe.FailureThreshold)*time.Second {
		t.Errorf("drain_delay %v is shorter than the readiness probe needs to notice (%ds x %d)",
			cfg.Server.DrainDelay, c.ReadinessProbe.PeriodSeconds, c.ReadinessProbe.FailureThreshold)
	}
	if !cfg.Server.Stateless {
		t.Errorf("server.stateless is false: any replica must serve any call behind a Service")
	}
	if port := listenPort(t, cfg.Server.Listen); ports["http"] != port {
		t.Errorf("container port http = %d, server.listen = %s", ports["http"], cfg.Server.Listen)
	}
	if cfg.Reload.Supervisor != "keeper" || !slices.Contains(c.Args, "--no-daemon") {
		t.Errorf("PID 1 must be the keeper (daemon start --no-daemon, reload.supervisor keeper): args %v, supervisor %q", c.Args, cfg.Reload.Supervisor)
	}

	// Security context: non-root, read-only root, no escalation, no
	// capabilities, the runtime's seccomp profile.
	ps, cs := pod.Spec.SecurityContext, c.SecurityContext
	switch {
	case ps == nil || cs == nil:
		t.Fatalf("pod or container securityContext missing")
	case ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser == 0:
		t.Errorf("pod does not run as a non-root numeric user")
	case cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem:
		t.Errorf("root filesystem is writable")
	case cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation:
		t.Errorf("privilege escalation allowed")
	case cs.Privileged != nil && *cs.Privileged:
		t.Errorf("privileged")
	case cs.Capabilities == nil || !slices.Equal(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(cs.Capabilities.Add) > 0:
		t.Errorf("capabilities: want drop [ALL], add none; got %+v", cs.Capabilities)
	case seccomp(ps) != corev1.SeccompProfileTypeRuntimeDefault && seccomp(cs) != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("seccomp profile is not RuntimeDefault")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources: CPU and memory requests and a memory limit are required: %+v", c.Resources)
	}

	// The other objects select these pods.
	labels := pod.Labels
	matches := func(sel map[string]string) bool {
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	if s := b.services[0]; !matches(s.Spec.Selector) || s.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("Service selector %v / targetPort %s do not reach the pods %v", s.Spec.Selector, s.Spec.Ports[0].TargetPort.String(), labels)
	}
	if p := b.pdbs[0]; !matches(p.Spec.Selector.MatchLabels) || p.Spec.MinAvailable == nil || p.Spec.MinAvailable.IntValue() >= 3 {
		t.Errorf("PDB selector %v / minAvailable %v: must select the pods and allow one disruption", p.Spec.Selector.MatchLabels, p.Spec.MinAvailable)
	}
	if h := b.hpas[0]; h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != d.Name ||
		len(h.Spec.Metrics) == 0 || h.Spec.Metrics[0].Resource == nil || h.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU ||
		h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 {
		t.Errorf("HPA must scale the Deployment %q on CPU with at least 2 replicas: %+v", d.Name, h.Spec)
	}
	if n := b.policies[0]; !matches(n.Spec.PodSelector.MatchLabels) || !slices.Contains(n.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
		t.Errorf("NetworkPolicy does not govern the pods' ingress: %+v", n.Spec)
	}
}

func seccomp(sc any) corev1.SeccompProfileType {
	switch s := sc.(type) {
	case *corev1.PodSecurityContext:
		if s.SeccompProfile != nil {
			return s.SeccompProfile.Type
		}
	case *corev1.SecurityContext:
		if s.SeccompProfile != nil {
			return s.SeccompProfile.Type
		}
	}
	return ""
}

func listenPort(t *testing.T, listen string) int32 {
	var port int32
	if _, err := fmt.Sscanf(listen[strings.LastIndex(listen, ":")+1:], "%d", &port); err != nil {
		t.Fatalf("server.listen %q: %v", listen, err)
	}
	return port
}

// loadConfigMap checks that the ConfigMap holds no secret, that its *_file
// keys point into the mounted Secret, and loads config.yaml with the real
// loader (the secret file replaced by a test file, since the Secret is the
// operator's).
func loadConfigMap(t *testing.T, cm corev1.ConfigMap, c corev1.Container) config.Config {
	t.Helper()
	if len(cm.BinaryData) > 0 {
		t.Errorf("ConfigMap has binaryData")
	}
	text, ok := cm.Data["config.yaml"]
	if !ok || len(cm.Data) != 1 {
		t.Fatalf("ConfigMap data keys %v, want config.yaml only", slices.Collect(maps.Keys(cm.Data)))
	}
	var tree map[string]any
	if err := yaml.Unmarshal([]byte(text), &tree); err != nil {
		t.Fatal(err)
	}
	known := config.Keys()
	for key, v := range flatten("", tree) {
		if !slices.Contains(known, key) {
			t.Errorf("ConfigMap sets %q, which is not a config key", key)
		}
		if config.IsSecretKey(key) {
			t.Errorf("ConfigMap sets the secret key %q; use %s_file and the Secret", key, key)
		}
		if base, ok := strings.CutSuffix(key, "_file"); ok && config.IsSecretKey(base) {
			path, _ := v.(string)
			if !mountedFromSecret(c, path) {
				t.Errorf("%s = %q is not inside a volume mounted from a Secret", key, path)
			}
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	secret := filepath.Join(dir, "password")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("test-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := envArg(c.Args)
	lc, err := config.Load(config.Options{Env: env, ConfigFile: file, Environ: []string{},
		Overrides: []config.Override{{Key: "snowflake.password_file", Value: secret, Flag: "--set"}}})
	if err != nil {
		t.Fatalf("the ConfigMap's config.yaml does not load (--env %s): %v", env, err)
	}
	return lc.Config
}

func envArg(args []string) string {
	if i := slices.Index(args, "--env"); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func mountedFromSecret(c corev1.Container, path string) bool {
	// The Deployment has one Secret volume, named credentials.
	for _, m := range c.VolumeMounts {
		if m.Name == "credentials" && strings.HasPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/") {
			return true
		}
	}
	return false
}

func flatten(prefix string, m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			for kk, vv := range flatten(key, sub) {
				out[kk] = vv
			}
			continue
		}
		out[key] = v
	}
	return out
}
