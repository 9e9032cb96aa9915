package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/auris/jwtsecret/infra"
	"github.com/auris/jwtsecret/infra/infratest"
)

// stackConfig is what the CLI passes the program for a stack: Pulumi.yaml
// defaults with Pulumi.<stack>.yaml on top.
func stackConfig(t *testing.T, stack string) (string, map[string]string) {
	t.Helper()
	proj, err := workspace.LoadProject("Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := workspace.LoadProjectStack(nil, proj, "Pulumi."+stack+".yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{}
	for key, decl := range proj.Config {
		if decl.Default == nil {
			continue
		}
		b, err := json.Marshal(decl.Default)
		if err != nil {
			t.Fatal(err)
		}
		cfg[proj.Name.String()+":"+key] = string(b)
	}
	for k, v := range ps.Config {
		s, err := v.Value(config.NopDecrypter)
		if err != nil {
			t.Fatal(err)
		}
		cfg[k.String()] = s
	}
	return proj.Name.String(), cfg
}

// The program as `pulumi up` runs it: config from the stack files, the
// rotation function built from ./cmd/rotator.
func TestProgramDeploysEachStack(t *testing.T) {
	// The function's zip goes to the user cache directory; keep it in the
	// test's, without moving the Go build cache, which lives there too.
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOCACHE", strings.TrimSpace(string(gocache)))
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			project, cfg := stackConfig(t, stack)
			mocks := infratest.New(project, stack, cfg["aws:region"])
			if err := pulumi.RunErr(run, pulumi.WithMocks(project, stack, mocks), infratest.Config(cfg)); err != nil {
				t.Fatal(err)
			}
			if n := len(mocks.Resources()); n != 17 {
				t.Fatalf("registered %d resources, want the component and its 16 children", n)
			}
			if c := mocks.ByType(infra.ComponentType); len(c) != 1 || c[0].Name != "jwt" {
				t.Fatalf("components %v", c)
			}
			zips, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "auris-jwtsecret", "lambda", "rotator-*.zip"))
			if len(zips) != 1 {
				t.Fatalf("Lambda packages in the cache: %v, want one", zips)
			}
		})
	}
}

func TestProgramRejectsBadConfigBeforeRegistering(t *testing.T) {
	project, cfg := stackConfig(t, "dev")
	cfg[project+":rotationDays"] = "2000"
	cfg[project+":stage"] = "Prod!"
	mocks := infratest.New(project, "dev", "us-east-1")
	err := pulumi.RunErr(run, pulumi.WithMocks(project, "dev", mocks), infratest.Config(cfg))
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{`auris-jwtsecret:rotationDays = "2000"`, "1 to 1000", `auris-jwtsecret:stage = "Prod!"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if n := len(mocks.Resources()); n != 0 {
		t.Fatalf("registered %d resources before rejecting the config", n)
	}
}
