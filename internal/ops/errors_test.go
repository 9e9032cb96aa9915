package ops

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/auris/jwtsecret/internal/localaws"
)

// realEnv points the SDK's default configuration at moto through the
// environment only, as an operator's shell would point it at AWS, so that
// NewAWSClient (the real command's client) is what is tested. The shared
// config files are empty files, so nothing on the machine leaks in.
func realEnv(t *testing.T, endpoint string) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":                       endpoint,
		"AWS_ACCESS_KEY_ID":                      "test",
		"AWS_SECRET_ACCESS_KEY":                  "test",
		"AWS_SESSION_TOKEN":                      "",
		"AWS_PROFILE":                            "",
		"AWS_CONFIG_FILE":                        empty,
		"AWS_SHARED_CREDENTIALS_FILE":            empty,
		"AWS_EC2_METADATA_DISABLED":              "true",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_ROLE_ARN":                           "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_REGION":                             "",
		"AWS_DEFAULT_REGION":                     "",
	} {
		t.Setenv(k, v)
	}
}

// runReal runs the command as main does: Run with NewAWSClient.
func runReal(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, NewAWSClient)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestRealClientWorks(t *testing.T) {
	stage := newStage(t)
	deployed(t, stage)
	realEnv(t, env.moto.Endpoint)
	r := runReal(t, "status", "--stage", stage)
	wantCode(t, r, ExitOK)
	wantContains(t, "status", r.stdout, "health:           OK")
}

func TestNotFound(t *testing.T) {
	stage := newStage(t) // never deployed
	for _, args := range [][]string{
		{"status", "--stage", stage},
		{"status", "--stage", stage, "--json"},
		{"rotate", "--stage", stage},
		{"revoke-previous", "--stage", stage, "--yes"},
	} {
		r := run(t, "", args...)
		wantCode(t, r, ExitAWS)
		wantContains(t, strings.Join(args, " "), r.stderr,
			"secret "+stage+"-auris-jwt-secret not found in region us-east-1 (the default region",
			"Wrong region? Pass --region", "pulumi up -s "+stage, "ResourceNotFoundException")
		if r.stdout != "" {
			t.Fatalf("%v: stdout %q on an error", args, r.stdout)
		}
	}
	r := run(t, "", "status", "--secret-id", "no-such-secret")
	wantCode(t, r, ExitAWS)
	wantContains(t, "status", r.stderr, "secret no-such-secret not found in region us-east-1", "aws secretsmanager list-secrets --region us-east-1")
}

// TestWrongRegion: moto keeps a region's secrets apart, as AWS does. The
// not-found message names the region and where it came from.
func TestWrongRegion(t *testing.T) {
	stage := newStage(t)
	arn, _, _ := deployed(t, stage)
	before := labels(t, arn)

	for _, cmd := range []string{"status", "rotate", "revoke-previous"} {
		r := run(t, "revoke\n", cmd, "--stage", stage, "--region", "eu-west-1")
		wantCode(t, r, ExitAWS)
		wantContains(t, cmd, r.stderr, "not found in region eu-west-1 (given with --region", "Wrong region?")
	}

	// The region from the environment, through the real client.
	realEnv(t, env.moto.Endpoint)
	t.Setenv("AWS_REGION", "eu-west-1")
	r := runReal(t, "status", "--stage", stage)
	wantCode(t, r, ExitAWS)
	wantContains(t, "status", r.stderr, "not found in region eu-west-1 (from AWS_REGION", "Wrong region? Pass --region")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
	r = runReal(t, "rotate", "--stage", stage)
	wantCode(t, r, ExitAWS)
	wantContains(t, "rotate", r.stderr, "not found in region ap-southeast-2 (from AWS_DEFAULT_REGION")

	if !maps.Equal(labels(t, arn), before) {
		t.Fatal("a wrong-region call changed the secret")
	}
}

// TestNoCredentials runs the real client with an empty credential chain:
// no environment keys, empty shared files, IMDS off.
func TestNoCredentials(t *testing.T) {
	stage := newStage(t)
	arn, _, _ := deployed(t, stage)
	before := labels(t, arn)
	realEnv(t, env.moto.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	for _, args := range [][]string{
		{"status", "--stage", stage},
		{"rotate", "--stage", stage},
		{"revoke-previous", "--stage", stage, "--yes"},
	} {
		start := time.Now()
		r := runReal(t, args...)
		wantCode(t, r, ExitAWS)
		wantContains(t, args[0], r.stderr, "no AWS credentials found for secretsmanager:DescribeSecret on "+stage+"-auris-jwt-secret (region us-east-1)",
			"set AWS_PROFILE", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%v took %v: the missing credentials were retried", args, d)
		}
	}
	if !maps.Equal(labels(t, arn), before) {
		t.Fatal("the secret changed")
	}
}

// TestUnreachable: nothing listens at the endpoint.
func TestUnreachable(t *testing.T) {
	port, err := localaws.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	realEnv(t, "http://127.0.0.1:"+strconv.Itoa(port))
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	r := runReal(t, "status", "--stage", "dev")
	wantCode(t, r, ExitAWS)
	wantContains(t, "status", r.stderr, "cannot reach Secrets Manager in region us-east-1 calling secretsmanager:DescribeSecret on dev-auris-jwt-secret", "connection refused")
}

// failingClient is moto with one operation answering an API error.
//
// moto does not enforce IAM (and cannot be made to here without users,
// policies and signed requests for each case), so access denied, rejected
// or expired credentials are produced by this fake; the errors are the
// smithy.APIError values the SDK returns for them.
type failingClient struct {
	*motoClient
	op  string
	err error
}

func (c *failingClient) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if c.op == "DescribeSecret" {
		return nil, c.err
	}
	return c.motoClient.DescribeSecret(ctx, in, opts...)
}

func (c *failingClient) ListSecretVersionIds(ctx context.Context, in *secretsmanager.ListSecretVersionIdsInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
	if c.op == "ListSecretVersionIds" {
		return nil, c.err
	}
	return c.motoClient.ListSecretVersionIds(ctx, in, opts...)
}

func (c *failingClient) RotateSecret(ctx context.Context, in *secretsmanager.RotateSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.RotateSecretOutput, error) {
	if c.op == "RotateSecret" {
		return nil, c.err
	}
	return c.motoClient.RotateSecret(ctx, in, opts...)
}

func (c *failingClient) UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error) {
	if c.op == "UpdateSecretVersionStage" {
		return nil, c.err
	}
	return c.motoClient.UpdateSecretVersionStage(ctx, in, opts...)
}

func TestAPIErrors(t *testing.T) {
	stage := newStage(t)
	arn, _, _ := deployed(t, stage)
	before := labels(t, arn)
	name := stage + "-auris-jwt-secret"

	commands := map[string][]string{ // the command that makes each call
		"DescribeSecret":           {"status", "--stage", stage},
		"ListSecretVersionIds":     {"status", "--stage", stage, "--json"},
		"RotateSecret":             {"rotate", "--stage", stage},
		"UpdateSecretVersionStage": {"revoke-previous", "--stage", stage, "--yes"},
	}
	codes := map[string][]string{ // error code: what the message must say
		"AccessDeniedException":       {"access denied: the caller may not call secretsmanager:%s on " + name + " (region us-east-1)", "Grant secretsmanager:%s on the secret's ARN", "arn:aws:secretsmanager:us-east-1:ACCOUNT:secret:" + name + "-??????"},
		"AccessDenied":                {"access denied"},
		"UnrecognizedClientException": {"the AWS credentials were not recognised calling secretsmanager:%s", "AWS_PROFILE", "opt-in region"},
		"InvalidSignatureException":   {"the request signature was rejected calling secretsmanager:%s", "AWS_SECRET_ACCESS_KEY"},
		"ExpiredTokenException":       {"the AWS session credentials have expired calling secretsmanager:%s", "aws sso login"},
		"InternalServiceError":        {"secretsmanager:%s on " + name + " (region us-east-1) failed"},
	}
	for op, args := range commands {
		for code, wants := range codes {
			t.Run(op+"/"+code, func(t *testing.T) {
				apiErr := &smithy.GenericAPIError{Code: code, Message: "message from AWS"}
				var res result
				r := runWith(t, time.Now(), "", func(_ context.Context, region string) (Client, error) {
					cfg := env.moto.Config()
					cfg.Region = region
					return &failingClient{motoClient: &motoClient{Client: secretsmanager.NewFromConfig(cfg), rotates: &res.rotates}, op: op, err: apiErr}, nil
				}, &res, args...)
				wantCode(t, r, ExitAWS)
				for _, w := range wants {
					wantContains(t, op, r.stderr, strings.ReplaceAll(w, "%s", op))
				}
				wantContains(t, op, r.stderr, "AWS: "+code+": message from AWS")
				if code == "AccessDeniedException" && op == "RotateSecret" {
					wantContains(t, op, r.stderr, "lambda:InvokeFunction on the rotation function")
				}
				if r.stdout != "" {
					t.Fatalf("stdout %q on an error", r.stdout)
				}
			})
		}
	}
	if !maps.Equal(labels(t, arn), before) {
		t.Fatal("a failed call changed the secret")
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{args: nil, want: "Usage:"},
		{args: []string{"frobnicate"}, want: `unknown command "frobnicate"`},
		{args: []string{"status"}, want: "give --stage STAGE"},
		{args: []string{"rotate", "--stage", "dev", "--secret-id", "x"}, want: "not both"},
		{args: []string{"status", "--stage", "Prod"}, want: `stage "Prod" is invalid`},
		{args: []string{"status", "--stage", strings.Repeat("a", 33)}, want: "is invalid"},
		{args: []string{"status", "--stage", "dev", "--region", "useast1"}, want: `region "useast1" (given with --region) is not an AWS region name`},
		{args: []string{"status", "--stage", "dev"}, env: map[string]string{"AWS_REGION": "us-east"}, want: `region "us-east" (from AWS_REGION)`},
		{args: []string{"status", "--stage", "dev", "extra"}, want: `unexpected argument "extra"`},
		{args: []string{"status", "--bogus"}, want: "flag provided but not defined: -bogus"},
		{args: []string{"rotate", "--stage", "dev", "--json"}, want: "not defined: -json"},
		{args: []string{"revoke-previous", "--stage", "dev", "--yes=maybe"}, want: "invalid boolean value"},
		{args: []string{"status", "--secret-id", "arn:aws:secretsmanager:us-east-1:123456789012:secret:x", "--region", "eu-west-1"}, want: "an ARN in region us-east-1 but --region is eu-west-1"},
		{args: []string{"status", "--secret-id", "arn:aws:s3:::bucket"}, want: "is not a Secrets Manager secret ARN"},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		var res result
		r := runWith(t, time.Now(), "", func(context.Context, string) (Client, error) {
			t.Errorf("%v: a client was created for bad input", tc.args)
			return nil, nil
		}, &res, tc.args...)
		wantCode(t, r, ExitUsage)
		wantContains(t, strings.Join(tc.args, " "), r.stderr, tc.want)
		for k := range tc.env {
			t.Setenv(k, "")
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		r := run(t, "", args...)
		wantCode(t, r, ExitOK)
		wantContains(t, "help", r.stdout, "jwtsecretctl status", "jwtsecretctl rotate", "jwtsecretctl revoke-previous", "Exit codes:", "3  status: unhealthy")
	}
	for _, cmd := range []string{"status", "rotate", "revoke-previous"} {
		r := run(t, "", cmd, "-h")
		wantCode(t, r, ExitOK)
		wantContains(t, cmd, r.stdout, "Usage: jwtsecretctl "+cmd, "-stage", "-secret-id", "-region")
	}
}
