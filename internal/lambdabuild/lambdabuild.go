// Package lambdabuild builds the rotation function from this repository's
// source: the same flags for the arm64 binary the Pulumi program deploys and
// for the amd64 binary the tests run under the Lambda emulator, and a zip
// whose bytes depend only on the binary, so an unchanged source previews
// with no changes.
package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Package is the rotation function's main package, relative to the module
// root.
const Package = "./cmd/rotator"

// BinaryName is the file the provided.al2023 runtime executes.
const BinaryName = "bootstrap"

// DeployArch is the architecture the function is deployed on.
const DeployArch = "arm64"

// zipTime is the fixed modification time of the archive entry; zip cannot
// store dates before 1980.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Build compiles Package for linux/goarch into outPath. -trimpath, no VCS
// stamp and an empty build id make the binary a function of the source and
// the Go version alone.
func Build(ctx context.Context, moduleRoot, goarch, outPath string) error {
	cmd := exec.CommandContext(ctx, "go", "build",
		"-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=",
		"-o", outPath, Package)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the rotation function (GOARCH=%s) in %s: %w\n%s", goarch, moduleRoot, err, out)
	}
	return nil
}

// Zip packs the binary at path as the archive's only entry, BinaryName,
// executable, with a fixed time.
func Zip(path string) ([]byte, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: BinaryName, Method: zip.Deflate, Modified: zipTime}
	h.SetMode(0o755)
	f, err := w.CreateHeader(h)
	if err != nil {
		return nil, fmt.Errorf("zipping %s: %w", filepath.Base(path), err)
	}
	if _, err := f.Write(bin); err != nil {
		return nil, fmt.Errorf("zipping %s: %w", filepath.Base(path), err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("zipping %s: %w", filepath.Base(path), err)
	}
	return buf.Bytes(), nil
}
