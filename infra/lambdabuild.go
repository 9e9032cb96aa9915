package infra

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/auris/jwtsecret/internal/lambdabuild"
)

// LambdaBundle is the rotation function's deployment package: a zip holding
// only `bootstrap`, and the base64 SHA-256 of the zip's bytes, which is what
// Lambda reports as CodeSha256 and what the Function's sourceCodeHash is set
// to. The same source and Go version give byte-identical zips, so an
// unchanged function previews with no diff.
type LambdaBundle struct {
	// ZipPath is the zip, named by its hash.
	ZipPath string
	// SourceCodeHash is the base64 SHA-256 of the zip.
	SourceCodeHash string
}

// BuildOptions say where the rotation function's source is and where its zip
// goes. Zero values pick the defaults.
type BuildOptions struct {
	// ModuleDir is the root of this Go module; default: the module that
	// contains the working directory (Pulumi runs the program in the project
	// directory, which is the module root).
	ModuleDir string
	// ArtifactDir receives the zip; default: a directory in the user cache.
	ArtifactDir string
}

// BuildRotator compiles the rotation function for linux/arm64 with the
// shared reproducible flags (internal/lambdabuild) and zips it. The zip is
// stored under its own hash: the engine and the provider read it after the
// program has registered the Function, so it must outlive this call, and
// content addressing keeps one file per distinct build instead of one per
// run.
func BuildRotator(ctx context.Context, opts BuildOptions) (*LambdaBundle, error) {
	moduleDir := opts.ModuleDir
	if moduleDir == "" {
		var err error
		if moduleDir, err = FindModuleRoot(ctx, "."); err != nil {
			return nil, err
		}
	}
	artifactDir := opts.ArtifactDir
	if artifactDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		artifactDir = filepath.Join(cache, "auris-jwtsecret", "lambda")
	}
	if err := os.MkdirAll(artifactDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the Lambda artifact directory: %w", err)
	}

	work, err := os.MkdirTemp("", "auris-rotator-build-")
	if err != nil {
		return nil, fmt.Errorf("creating the Lambda build directory: %w", err)
	}
	defer os.RemoveAll(work)

	bin := filepath.Join(work, lambdabuild.BinaryName)
	if err := lambdabuild.Build(ctx, moduleDir, lambdabuild.DeployArch, bin); err != nil {
		return nil, fmt.Errorf("building the rotation Lambda: %w", err)
	}
	zipped, err := lambdabuild.Zip(bin)
	if err != nil {
		return nil, fmt.Errorf("packaging the rotation Lambda: %w", err)
	}

	sum := sha256.Sum256(zipped)
	zipPath := filepath.Join(artifactDir, "rotator-"+hex.EncodeToString(sum[:])+".zip")
	if err := writeIfAbsent(zipPath, zipped); err != nil {
		return nil, fmt.Errorf("storing the rotation Lambda package: %w", err)
	}
	return &LambdaBundle{ZipPath: zipPath, SourceCodeHash: base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// writeIfAbsent writes data to path through a rename, so that a concurrent
// run (a preview next to an update) never sees a half-written zip. An
// existing file has the same content: its name is its hash.
func writeIfAbsent(path string, data []byte) error {
	if existing, err := os.ReadFile(path); err == nil && bytes.Equal(existing, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".rotator-*.zip")
	if err != nil {
		return fmt.Errorf("creating a temporary file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("moving the package to %s: %w", path, err)
	}
	return nil
}

// FindModuleRoot returns the directory of the go.mod that governs dir, as the
// go command sees it.
func FindModuleRoot(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("running `go env GOMOD` in %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("finding the Go module: " + dir + " is not inside a Go module; run Pulumi from the project directory")
	}
	return filepath.Dir(gomod), nil
}
