// Package infra is the Pulumi component that owns the JWT signing secret of
// one stage: the secret and its first value, the rotation Lambda that
// replaces the value every rotationDays, the policy applications attach to
// read it, the secret's resource policy, optionally its KMS key and
// replicas, and the alerts on failed rotations.
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
	// AlarmEmail, when set, is subscribed to the alert topic that failed
	// rotations are reported to.
	AlarmEmail string
	// KmsKeyArn, when set, is the customer managed key that encrypts the
	// secret. It excludes CreateKmsKey.
	KmsKeyArn string
	// CreateKmsKey creates a customer managed key (rotated yearly by KMS)
	// to encrypt the secret.
	CreateKmsKey bool
	// RestrictReaders denies reading the value to every principal but the
	// ReaderRoles, the rotation role and the deploying identity. It needs
	// ReaderRoles.
	RestrictReaders bool
	// ReplicaRegions are the regions the secret is replicated to; rotation
	// writes the primary and Secrets Manager keeps the replicas in sync.
	ReplicaRegions []string

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
	// AlarmTopicArn is the SNS topic failed rotations are reported to.
	AlarmTopicArn pulumi.StringOutput
	// KmsKeyArn is the customer managed key of the secret; it is the zero
	// StringOutput (and not exported) when the secret uses aws/secretsmanager.
	KmsKeyArn pulumi.StringOutput
	// ReplicaSecretArns are the replicas' ARNs by region; the zero
	// StringMapOutput (and not exported) without replicas.
	ReplicaSecretArns pulumi.StringMapOutput

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

	// ParseArgs checked these against aws:region when the stack sets it;
	// the region may also come from the environment, so check again.
	if err := args.checkRegions(region.Name); err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	partition := partitionOf(caller.Arn)
	// With restrictReaders the deployer must be recognised before anything
	// is created, or it would lock itself out of the value it writes.
	var deployer []string
	if args.RestrictReaders {
		if deployer, err = deployerPrincipalArns(caller.Arn); err != nil {
			return nil, fmt.Errorf("jwt secret %q: %w", name, err)
		}
	}

	// The order is what the resources need of each other: the resource
	// policy names the rotation role and must be in place before the first
	// value is written (the provider reads it back), and rotation starts
	// only once there is a value.
	tags := pulumi.ToStringMap(mergeTags(ctx.Project(), args.Stage, args.Tags))
	key, err := newKey(ctx, c, name, args, tags, partition, caller.AccountId)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	sec, err := newSecret(ctx, c, name, args, tags, key)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	rr, err := newRotationRole(ctx, c, name, args, tags, sec, key, region.Name)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	secretPolicy, err := newSecretPolicy(ctx, c, name, args, sec.secret, rr.role.Arn, partition, caller.AccountId, deployer)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	if err := writeFirstValue(ctx, c, name, sec, secretPolicy); err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	readerPolicyArn, err := newReaderAccess(ctx, c, name, args, tags, sec.secret, key, region.Name)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	fn, err := newRotation(ctx, c, name, args, tags, sec, rr, bundle, caller.AccountId)
	if err != nil {
		return nil, fmt.Errorf("jwt secret %q: %w", name, err)
	}
	alarmTopicArn, err := newAlerts(ctx, c, name, args, tags, sec.secret.Arn, fn, caller.AccountId)
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
	c.AlarmTopicArn = alarmTopicArn
	if key != nil {
		c.KmsKeyArn = key.arn
	}
	if len(args.ReplicaRegions) > 0 {
		c.ReplicaSecretArns = sec.secret.Arn.ApplyT(func(arn string) map[string]string {
			out := map[string]string{}
			for _, r := range args.ReplicaRegions {
				out[r] = replicaArn(arn, r)
			}
			return out
		}).(pulumi.StringMapOutput)
	}
	if err := ctx.RegisterResourceOutputs(c, c.Outputs()); err != nil {
		return nil, fmt.Errorf("jwt secret %q: registering outputs: %w", name, err)
	}
	return c, nil
}

// Outputs are the stack outputs, by name. None is secret because none
// carries the value. kmsKeyArn and replicaSecretArns are present only when
// the stack has a customer managed key or replicas, so that an output that
// exists always means something.
func (c *JwtSecret) Outputs() pulumi.Map {
	outs := pulumi.Map{
		"stage":             c.Stage,
		"region":            c.Region,
		"secretName":        c.SecretName,
		"secretArn":         c.SecretArn,
		"secretVersionId":   c.SecretVersionId,
		"rotationLambdaArn": c.RotationLambdaArn,
		"rotationDays":      c.RotationDays,
		"readerPolicyArn":   c.ReaderPolicyArn,
		"alarmTopicArn":     c.AlarmTopicArn,
	}
	if c.KmsKeyArn.OutputState != nil {
		outs["kmsKeyArn"] = c.KmsKeyArn
	}
	if c.ReplicaSecretArns.OutputState != nil {
		outs["replicaSecretArns"] = c.ReplicaSecretArns
	}
	return outs
}

// readerPolicyName names the reader policy after the secret, so that it
// falls under the deployer policy's *-auris-jwt-* patterns.
func readerPolicyName(stage string) string {
	return naming.SecretName(stage) + "-reader"
}
