package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

// TestContainerImageBuilds builds deploy/container/Containerfile with podman
// (storage in the test's own directory) and checks the image's config. Only
// the build is tested: running containers does not work on these machines
// (no user namespaces for podman run), so the image's behaviour is covered by
// the same binary's tests outside a container.
func TestContainerImageBuilds(t *testing.T) {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := filepath.Join(dir, "context")
	if err := os.MkdirAll(ctx, 0o755); err != nil {
		t.Fatal(err)
	}
	// The static binary, as goreleaser (CGO_ENABLED=0) builds it.
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(ctx, "snowflake-mcp"), "./cmd/snowflake-mcp")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Fatalf("the host CA bundle (Debian package ca-certificates): %v", err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "ca-certificates.crt"), ca, 0o644); err != nil {
		t.Fatal(err)
	}

	podman := func(args ...string) []byte {
		t.Helper()
		base := []string{"--root", filepath.Join(dir, "storage"), "--runroot", filepath.Join(dir, "run"),
			"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none"}
		cmd := exec.Command("podman", append(base, args...)...)
		cmd.Env = append(os.Environ(), "TMPDIR="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	t.Cleanup(func() {
		// vfs layers are plain directories; make sure t.TempDir can remove them.
		_ = exec.Command("chmod", "-R", "u+rwX", dir).Run()
	})
	podman("build", "--network", "none", "-f", filepath.Join(root, "deploy/container/Containerfile"), "-t", "localhost/snowflake-mcp:e2e", ctx)

	var images []struct {
		Config struct {
			User       string
			Entrypoint []string
			Cmd        []string
			Env        []string
		}
		Architecture string
		Os           string
		RootFS       struct{ Layers []string }
	}
	out := podman("image", "inspect", "localhost/snowflake-mcp:e2e")
	if err := json.Unmarshal(out, &images); err != nil || len(images) != 1 {
		t.Fatalf("podman image inspect: %v\n%s", err, out)
	}
	img := images[0]
	t.Logf("image: user %q, entrypoint %q, cmd %q, %d layers", img.Config.User, img.Config.Entrypoint, img.Config.Cmd, len(img.RootFS.Layers))
	if uid, _, _ := strings.Cut(img.Config.User, ":"); uid == "" || uid == "0" || strings.Trim(uid, "0123456789") != "" {
		t.Errorf("image user %q: want a numeric non-root uid (runAsNonRoot checks it)", img.Config.User)
	}
	if !slices.Equal(img.Config.Entrypoint, []string{"/usr/local/bin/snowflake-mcp"}) {
		t.Errorf("entrypoint %q, want the binary", img.Config.Entrypoint)
	}
	if !slices.Contains(img.Config.Cmd, "--no-daemon") {
		t.Errorf("cmd %q: PID 1 must be the keeper (daemon start --no-daemon)", img.Config.Cmd)
	}

	// The image holds exactly the binary and the CA bundle.
	saved := filepath.Join(dir, "image.tar")
	podman("save", "--format", "docker-archive", "-o", saved, "localhost/snowflake-mcp:e2e")
	list, err := exec.Command("sh", "-c", "mkdir -p "+dir+"/x && tar -xf "+saved+" -C "+dir+"/x && for l in "+dir+"/x/*.tar "+dir+"/x/*/layer.tar; do [ -f \"$l\" ] && tar -tf \"$l\"; done").CombinedOutput()
	if err != nil {
		t.Fatalf("list image layers: %v\n%s", err, list)
	}
	for _, want := range []string{"usr/local/bin/snowflake-mcp", "etc/ssl/certs/ca-certificates.crt"} {
		if !strings.Contains(string(list), want) {
			t.Errorf("image lacks %s; files:\n%s", want, list)
		}
	}
}
