package main

// These tests run the command as a process (the test binary re-executing
// itself into main) so that what a script sees, exit codes and the two
// output streams, is checked end to end; internal/ops tests the behaviour.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/auris/jwtsecret/internal/localaws"
	"github.com/auris/jwtsecret/internal/ops"
	"github.com/auris/jwtsecret/naming"
)

const runMainEnv = "JWTSECRETCTL_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// jwtsecretctl runs the command with env (on top of an environment with no
// AWS settings) and returns its exit code and output.
func jwtsecretctl(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, runMainEnv+"=1", "AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty, "AWS_EC2_METADATA_DISABLED=true")
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	ctx := context.Background()
	moto, err := localaws.StartMoto(ctx)
	if err != nil {
		t.Fatal(err) // moto missing is a failure, never a skip
	}
	defer moto.Close()
	awsEnv := moto.Env()

	if code, out, _ := jwtsecretctl(t, nil, "help"); code != ops.ExitOK || !strings.Contains(out, "Exit codes:") {
		t.Fatalf("help: exit %d, stdout %q", code, out)
	}
	if code, _, errOut := jwtsecretctl(t, nil, "status", "--stage", "Bad"); code != ops.ExitUsage || !strings.Contains(errOut, "is invalid") {
		t.Fatalf("bad stage: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := jwtsecretctl(t, awsEnv, "status", "--stage", "cli"); code != ops.ExitAWS || !strings.Contains(errOut, "not found in region us-east-1") {
		t.Fatalf("missing secret: exit %d, stderr %q", code, errOut)
	}

	sm := secretsmanager.NewFromConfig(moto.Config())
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(naming.SecretName("cli")), SecretString: aws.String(strings.Repeat("a1", 32))}); err != nil {
		t.Fatal(err)
	}
	code, out, _ := jwtsecretctl(t, awsEnv, "status", "--stage", "cli", "--json")
	var s ops.Status
	if code != ops.ExitUnhealthy || json.Unmarshal([]byte(out), &s) != nil || s.RotationEnabled || s.Secret != "cli-auris-jwt-secret" {
		t.Fatalf("status of a secret without rotation: exit %d, stdout %q", code, out)
	}
	if code, _, errOut := jwtsecretctl(t, awsEnv, "revoke-previous", "--stage", "cli", "--yes"); code != ops.ExitRefused || !strings.Contains(errOut, "nothing to revoke") {
		t.Fatalf("revoke-previous with nothing to revoke: exit %d, stderr %q", code, errOut)
	}
	if strings.Contains(out, strings.Repeat("a1", 32)) {
		t.Fatal("the secret value was printed")
	}
}
