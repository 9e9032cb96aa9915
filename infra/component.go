// Package infra is the Pulumi component that owns the JWT signing secret of
// one stage: the secret and its first value, the rotation Lambda that
// replaces the value every rotationDays, and the policy applications attach
// to read it.
package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/auris/jwtsecret/naming"
)

// ComponentType is the Pulumi type token of JwtSecret.
const ComponentType = "auris:jwtsecret:JwtSecret"

// JwtSecretArgs configures a JwtSecret. ParseArgs builds it from the stack
// configuration; see the README's configuration reference for each field.
type JwtSecretArgs struct {
	// Stage names the secret and the rotation function (package naming).
	Stage string
	// Length is the number of characters of every value, first and rotated.
	Length int
	// RotationDays is the number of days between automatic rotations.
	RotationDays int
	// RecoveryWindowInDays is how long a deleted secret can be restored
	// (0: deleted at once).
	RecoveryWindowInDays int
	// LogRetentionDays is the retention of the rotation function's logs.
	LogRetentionDays int
	// Protect marks the resources that hold or guard the secret (the Secret,
	// which holds every version, and the SecretRotation) as protected. The
	// RandomPassword and SecretVersion are left out on purpose: replacing
	// them is how a value is regenerated, and the version is retained on
	// delete, so protecting them would only block `--replace`.
	Protect bool
	// Generation is the RandomPassword's keeper: raising it writes a new
	// value.
	Generation int
	// Tags are merged on top of Project, Stage and ManagedBy on every
	// taggable resource.
	Tags map[string]string
	// ReaderRoles are IAM role names that get the reader policy attached.
	ReaderRoles []string

	// Rotator, when set, is deployed instead of building the rotation
	// function; tests use it to build once.
	Rotator *LambdaBundle
	// Build says where to build the rotation function when Rotator is nil.
	Build BuildOptions
}

// JwtSecret is the component. Its fields are the stack's outputs; none holds
// the secret value.
type JwtSecret struct {
	pulumi.ResourceState

	// Stage is the stage the resources are named after.
	Stage pulumi.StringOutput
	// Region is the region the AWS provider deployed to.
	Region pulumi.StringOutput
	// SecretName is the secret's name, {stage}-auris-jwt-secret.
	SecretName pulumi.StringOutput
	// SecretArn is the secret's ARN, which readers use as SecretId.
	SecretArn pulumi.StringOutput
	// SecretVersionId is the version Pulumi wrote; rotations add later ones.
	SecretVersionId pulumi.StringOutput
	// RotationLambdaArn is the rotation function's ARN.
	RotationLambdaArn pulumi.StringOutput
	// RotationDays is the configured rotation interval.
	RotationDays pulumi.IntOutput
	// ReaderPolicyArn is the ARN of the read-only policy of the secret.
	ReaderPolicyArn pulumi.StringOutput

	// guard is kept for tests, which call its hooks directly.
	guard *valueGuard
}

// NewJwtSecret validates args, builds the rotation function and registers
// the component with all its resources. Invalid args and a failed build
// return an error before anything is registered.
func NewJwtSecret(ctx *pulumi.Context, name string, args *JwtSecretArgs, opts ...pulumi.ResourceOption) (*JwtSecret, error) {
	if args == nil {
		return nil, fmt.Errorf("jwt secret %q: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	bundle := args.Rotator
	if bundle == nil {
		var err error
		if bundle, err = BuildRotator(ctx.Context(), args.Build); err != nil {
			return nil, fmt.Errorf("jwt secret %q: %w", name, err)
		}
	}

	c := &JwtSecret{guard: newValueGuard(args.Generation)}
	if err := ctx.RegisterComponentResource(ComponentType, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering jwt secret %q: %w", name, err)
	}
	parent := pulumi.Parent(c)

	caller, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: looking up the AWS account: %w", name, err)
	}
	region, err := aws.GetRegion(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: looking up the AWS region: %w", name, err)
	}

	tags := pulumi.ToStringMap(mergeTags(ctx.Project(), args.Stage, args.Tags))
	sec, err := newSecret(ctx, c, name, args, tags)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	readerPolicyArn, err := newReaderAccess(ctx, c, name, args, tags, sec.secret)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	fn, err := newRotation(ctx, c, name, args, tags, sec, bundle, caller.AccountId)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}

	c.Stage = pulumi.String(args.Stage).ToStringOutput()
	c.Region = pulumi.String(region.Name).ToStringOutput()
	c.SecretName = sec.secret.Name
	c.SecretArn = sec.secret.Arn
	c.SecretVersionId = sec.version.VersionId
	c.RotationLambdaArn = fn.Arn
	c.RotationDays = pulumi.Int(args.RotationDays).ToIntOutput()
	c.ReaderPolicyArn = readerPolicyArn
	if err := ctx.RegisterResourceOutputs(c, c.Outputs()); err != nil {
		return nil, fmt.Errorf("jwt secret %q: registering outputs: %w", name, err)
	}
	return c, nil
}

// Outputs are the stack outputs, by name. None is secret because none
// carries the value.
func (c *JwtSecret) Outputs() pulumi.Map {
	return pulumi.Map{
		"stage":             c.Stage,
		"region":            c.Region,
		"secretName":        c.SecretName,
		"secretArn":         c.SecretArn,
		"secretVersionId":   c.SecretVersionId,
		"rotationLambdaArn": c.RotationLambdaArn,
		"rotationDays":      c.RotationDays,
		"readerPolicyArn":   c.ReaderPolicyArn,
	}
}

// readerPolicyName names the reader policy after the secret, so that it
// falls under the deployer policy's *-auris-jwt-* patterns.
func readerPolicyName(stage string) string {
	return naming.SecretName(stage) + "-reader"
}
