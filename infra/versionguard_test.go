package infra

import (
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const versionURN = "urn:pulumi:prod::auris-jwtsecret::auris:jwtsecret:JwtSecret$aws:secretsmanager/secretVersion:SecretVersion::jwt-version"

func versionCreate(value string) *pulumi.ResourceHookArgs {
	return &pulumi.ResourceHookArgs{
		URN:  versionURN,
		Name: "jwt-version",
		Type: "aws:secretsmanager/secretVersion:SecretVersion",
		NewInputs: resource.PropertyMap{
			"secretId":     resource.NewProperty("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-auris-jwt-secret-AbCdEf"),
			"secretString": resource.MakeSecret(resource.NewProperty(value)),
		},
	}
}

func TestGuardRefusesAVersionWithoutAFreshValue(t *testing.T) {
	const value = "RetiredKeyValueThatMustNeverBePrintedAnywhere0123456789abcdefgh"
	g := newValueGuard(3)
	err := g.requireFresh(versionCreate(value))
	if err == nil {
		t.Fatal("a version create without a fresh value in the deployment was allowed (silent rollback)")
	}
	msg := err.Error()
	for _, want := range []string{versionURN, "generation 3", "pulumi config set generation 4", "AWSPREVIOUS"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, value) {
		t.Fatal("the refusal contains the secret value")
	}
}

func TestGuardAllowsTheDeploymentThatGeneratedTheValue(t *testing.T) {
	g := newValueGuard(1)
	if err := g.markFresh(&pulumi.ResourceHookArgs{Name: "jwt-value"}); err != nil {
		t.Fatal(err)
	}
	if err := g.requireFresh(versionCreate("x")); err != nil {
		t.Fatalf("refused the version of a freshly generated value: %v", err)
	}
}

func TestGuardIsSafeForConcurrentHooks(t *testing.T) {
	g := newValueGuard(1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(2)
		go func() { defer wg.Done(); _ = g.requireFresh(versionCreate("x")) }()
		go func() { defer wg.Done(); _ = g.markFresh(nil) }()
	}
	wg.Wait()
	if err := g.requireFresh(versionCreate("x")); err != nil {
		t.Fatal(err)
	}
}
