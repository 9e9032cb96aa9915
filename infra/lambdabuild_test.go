package infra

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFindModuleRoot(t *testing.T) {
	got, err := FindModuleRoot(context.Background(), ".")
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("FindModuleRoot(infra) = %s, want %s", got, want)
	}
	if _, err := os.Stat(filepath.Join(got, "cmd", "rotator")); err != nil {
		t.Fatalf("the module root has no rotation function source: %v", err)
	}
	outside := t.TempDir()
	if _, err := FindModuleRoot(context.Background(), outside); err == nil || !strings.Contains(err.Error(), "not inside a Go module") {
		t.Fatalf("FindModuleRoot(%s) = %v, want an error saying it is not in a module", outside, err)
	}
}

func TestWriteIfAbsent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.zip")
	if err := writeIfAbsent(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := writeIfAbsent(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != "one" {
		t.Fatalf("read %q, %v", got, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".rotator-*"))
	if len(leftovers) > 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

// checkBundle asserts the package is what provided.al2023 on arm64 runs: a
// zip with exactly one executable entry, bootstrap, an arm64 Linux ELF, with
// a fixed time, and that SourceCodeHash is the zip's base64 SHA-256.
func checkBundle(t *testing.T, b *LambdaBundle) []byte {
	t.Helper()
	data, err := os.ReadFile(b.ZipPath)
	if err != nil {
		t.Fatalf("reading the Lambda package: %v", err)
	}
	sum := sha256.Sum256(data)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != b.SourceCodeHash {
		t.Fatalf("SourceCodeHash %s, but the zip hashes to %s", b.SourceCodeHash, got)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("the Lambda package is not a zip: %v", err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Fatalf("zip entries %v, want exactly bootstrap", zr.File)
	}
	f := zr.File[0]
	if f.Mode() != 0o755 {
		t.Errorf("bootstrap mode %v, want -rwxr-xr-x", f.Mode())
	}
	if !f.Modified.Equal(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("bootstrap time %v, want the fixed 1980-01-01", f.Modified)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	bin, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF binary: %v", err)
	}
	if ef.Machine != elf.EM_AARCH64 || ef.OSABI != elf.ELFOSABI_NONE {
		t.Fatalf("bootstrap is for %v/%v, want arm64 Linux", ef.Machine, ef.OSABI)
	}
	if ef.Section(".interp") != nil {
		t.Fatal("bootstrap is dynamically linked; provided.al2023 needs a static (CGO_ENABLED=0) binary")
	}
	return data
}
