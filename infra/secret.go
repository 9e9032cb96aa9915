package infra

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/auris/jwtsecret/naming"
)

// secretResources are the resources that hold the value.
type secretResources struct {
	password *random.RandomPassword
	secret   *secretsmanager.Secret
	// version is set by writeFirstValue.
	version *secretsmanager.SecretVersion
	// requireFresh is the version's guard hook (see valueGuard).
	requireFresh *pulumi.ResourceHook
}

// newSecret creates the random value and the secret, encrypted with key
// (nil: aws/secretsmanager) and replicated to args.ReplicaRegions.
// writeFirstValue writes the value once the resource policy is in place.
func newSecret(ctx *pulumi.Context, c *JwtSecret, name string, args *JwtSecretArgs, tags pulumi.StringMap, key *customerKey) (*secretResources, error) {
	markFresh, requireFresh, err := c.guard.hooks(ctx, name)
	if err != nil {
		return nil, err
	}
	// Only the Secret is protected here: the RandomPassword and the
	// SecretVersion are what `--replace` and a `generation` bump replace,
	// and the version is retained on delete anyway.
	protect := pulumi.Protect(args.Protect)

	// The value uses the rotation function's alphabet (letters and digits,
	// rotation.Alphabet), so a deploy-time value and a rotated one look
	// alike. `generation` is the only keeper: bumping it, or
	// `pulumi up --replace` of this resource, is how a new value is made.
	// The provider marks `result` secret, so it is encrypted in state.
	password, err := random.NewRandomPassword(ctx, name+"-value", &random.RandomPasswordArgs{
		Length:  pulumi.Int(args.Length),
		Upper:   pulumi.Bool(true),
		Lower:   pulumi.Bool(true),
		Numeric: pulumi.Bool(true),
		Special: pulumi.Bool(false),
		Keepers: pulumi.StringMap{"generation": pulumi.String(strconv.Itoa(args.Generation))},
	}, pulumi.Parent(c),
		pulumi.ResourceHooks(&pulumi.ResourceHookBinding{BeforeCreate: []*pulumi.ResourceHook{markFresh}}))
	if err != nil {
		return nil, fmt.Errorf("creating the random value: %w", err)
	}

	// Nothing a regeneration changes reaches the Secret: its name comes from
	// the stage alone. The provider deletes a named secret before creating
	// its replacement, and AWS keeps the deleted name reserved for the
	// recovery window, so a replaced Secret could not be re-created. Of its
	// inputs only name (and namePrefix) force a replacement: kmsKeyId
	// changes with UpdateSecret, replicas with ReplicateSecretToRegions and
	// RemoveRegionsFromReplication, all in place.
	secretArgs := &secretsmanager.SecretArgs{
		Name: pulumi.String(naming.SecretName(args.Stage)),
		// The description depends on the stage only: an UpdateSecret (as a
		// changed description causes) counts as a rotation for the next
		// rotation date, so a rotationDays change must not cause one.
		Description:          pulumi.Sprintf("JWT signing key of stage %s, rotated by %s", args.Stage, naming.RotationFunctionName(args.Stage)),
		RecoveryWindowInDays: pulumi.Int(args.RecoveryWindowInDays),
		Replicas:             replicas(args.ReplicaRegions),
		Tags:                 tags,
	}
	// Changing the key re-encrypts the labelled versions (AWSCURRENT,
	// AWSPREVIOUS, AWSPENDING) with the new key; like any UpdateSecret it
	// restarts the rotation schedule.
	if key != nil {
		secretArgs.KmsKeyId = key.arn
	}
	secret, err := secretsmanager.NewSecret(ctx, name+"-secret", secretArgs, pulumi.Parent(c), protect)
	if err != nil {
		return nil, fmt.Errorf("creating the secret: %w", err)
	}
	return &secretResources{password: password, secret: secret, requireFresh: requireFresh}, nil
}

// replicas are the replica regions of the secret, sorted so that the order
// in the configuration does not matter. A replica gets no kmsKeyId: Secrets
// Manager encrypts it with aws/secretsmanager of its region. A KMS key is
// regional, so a customer managed key of the primary region cannot encrypt a
// replica; using one there would need a multi-Region key replicated into
// every replica region (and the key's permissions there), which the program
// does not manage.
func replicas(regions []string) secretsmanager.SecretReplicaArray {
	if len(regions) == 0 {
		return nil
	}
	var out secretsmanager.SecretReplicaArray
	for _, r := range slices.Sorted(slices.Values(regions)) {
		out = append(out, &secretsmanager.SecretReplicaArgs{Region: pulumi.String(r)})
	}
	return out
}

// replicaArns are the ARNs of the secret's replicas, in sorted region order.
func replicaArns(secretArn string, regions []string) []string {
	var out []string
	for _, r := range slices.Sorted(slices.Values(regions)) {
		out = append(out, replicaArn(secretArn, r))
	}
	return out
}

// writeFirstValue writes the random value as the secret's first version,
// after the resource policy (after): the provider reads the value back
// right after writing it, which the policy must already allow the deployer.
func writeFirstValue(ctx *pulumi.Context, c *JwtSecret, name string, sec *secretResources, after ...pulumi.Resource) error {
	password, secret := sec.password, sec.secret

	// How the version stays out of the rotation's way:
	//   - no versionStages: PutSecretValue without stages moves AWSCURRENT to
	//     the new version and AWSPREVIOUS to the old one, and the provider
	//     never has labels of its own to move back (an update of configured
	//     stages would undo a rotation);
	//   - ignoreChanges on versionStages: rotations move the labels away from
	//     this version; refresh records that, and it must not show as a diff;
	//   - retainOnDelete: on a regeneration the replaced version is dropped
	//     from state without calling the provider's delete, which would strip
	//     the labels recorded in state (taking AWSPREVIOUS, the grace key,
	//     from the old value) or fail on labels a rotation already moved;
	//   - the guard's before-create hook: the version is only ever created
	//     with a value generated in the same deployment (see valueGuard).
	// The SDK marks secretString secret.
	version, err := secretsmanager.NewSecretVersion(ctx, name+"-version", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: password.Result,
	}, pulumi.Parent(c),
		pulumi.DependsOn(after),
		pulumi.IgnoreChanges([]string{"versionStages"}),
		pulumi.RetainOnDelete(true),
		pulumi.ResourceHooks(&pulumi.ResourceHookBinding{BeforeCreate: []*pulumi.ResourceHook{sec.requireFresh}}))
	if err != nil {
		return fmt.Errorf("writing the first value: %w", err)
	}
	sec.version = version
	return nil
}

// newReaderAccess creates the read-only policy of the secret (and its
// replicas, and its customer managed key if any) and attaches it to every
// reader role. It returns the policy's ARN.
func newReaderAccess(ctx *pulumi.Context, c *JwtSecret, name string, args *JwtSecretArgs, tags pulumi.StringMap,
	secret *secretsmanager.Secret, key *customerKey, region string,
) (pulumi.StringOutput, error) {
	document := pulumi.All(secret.Arn, key.arnOutput()).ApplyT(func(arns []any) (string, error) {
		secretArn := arns[0].(string)
		return readerPolicy(secretArn, replicaArns(secretArn, args.ReplicaRegions), key.grant(arns[1].(string), region))
	}).(pulumi.StringOutput)
	policy, err := iam.NewPolicy(ctx, name+"-reader", &iam.PolicyArgs{
		Name:        pulumi.String(readerPolicyName(args.Stage)),
		Description: pulumi.Sprintf("Read the JWT signing secret %s", naming.SecretName(args.Stage)),
		Policy:      document,
		Tags:        tags,
	}, pulumi.Parent(c))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating the reader policy: %w", err)
	}
	for _, role := range args.ReaderRoles {
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-reader-"+role, &iam.RolePolicyAttachmentArgs{
			Role:      pulumi.String(role),
			PolicyArn: policy.Arn,
		}, pulumi.Parent(c)); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("attaching the reader policy to role %s: %w", role, err)
		}
	}
	return policy.Arn, nil
}
