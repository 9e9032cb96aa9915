package infra

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/auris/jwtsecret/internal/lambdabuild"
	"github.com/auris/jwtsecret/naming"
	"github.com/auris/jwtsecret/rotation"
)

// Settings of the rotation function that are not configuration: a rotation
// step makes at most a handful of Secrets Manager calls, and Secrets Manager
// waits for each step, so a small, short-lived function is enough.
const (
	rotationRuntime    = "provided.al2023"
	rotationMemoryMB   = 128
	rotationTimeoutSec = 30
	secretsManager     = "secretsmanager.amazonaws.com"
)

// rotationRole is the rotation function's execution role with its policy,
// and the log group the policy lets it write to. It exists before the
// secret's first value, because the secret's resource policy names the role.
type rotationRole struct {
	logGroup *cloudwatch.LogGroup
	role     *iam.Role
	policy   *iam.RolePolicy
}

// newRotationRole creates the rotation function's log group and its role,
// allowed to rotate the secret (and to use its customer managed key through
// Secrets Manager, if there is one).
func newRotationRole(ctx *pulumi.Context, c *JwtSecret, name string, args *JwtSecretArgs, tags pulumi.StringMap,
	sec *secretResources, key *customerKey, region string,
) (*rotationRole, error) {
	fnName := naming.RotationFunctionName(args.Stage)

	// Lambda would create /aws/lambda/<name> itself on first write, with no
	// retention and outside the stack; creating it first gives it a
	// retention period and lets the role's policy name it exactly.
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-rotation-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + fnName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		Tags:            tags,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("creating the rotation log group: %w", err)
	}

	assume, err := lambdaAssumeRolePolicy()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-rotation-role", &iam.RoleArgs{
		Name:             pulumi.String(fnName),
		Description:      pulumi.Sprintf("Execution role of %s", fnName),
		AssumeRolePolicy: pulumi.String(assume),
		Tags:             tags,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("creating the rotation role: %w", err)
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-rotation-policy", &iam.RolePolicyArgs{
		Name: pulumi.String("rotate-" + naming.SecretName(args.Stage)),
		Role: role.Name,
		Policy: pulumi.All(sec.secret.Arn, logGroup.Arn, key.arnOutput()).ApplyT(func(arns []any) (string, error) {
			return rotationPolicy(arns[0].(string), arns[1].(string), key.grant(arns[2].(string), region))
		}).(pulumi.StringOutput),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("creating the rotation role's policy: %w", err)
	}
	return &rotationRole{logGroup: logGroup, role: role, policy: rolePolicy}, nil
}

// newRotation creates the rotation function and its invoke permission, and
// turns on rotation of the secret once its first value is written.
func newRotation(ctx *pulumi.Context, c *JwtSecret, name string, args *JwtSecretArgs, tags pulumi.StringMap,
	sec *secretResources, rr *rotationRole, bundle *LambdaBundle, accountID string,
) (*lambda.Function, error) {
	fnName := naming.RotationFunctionName(args.Stage)
	logGroup, role, rolePolicy := rr.logGroup, rr.role, rr.policy

	// The function depends on its policy as well as its role: with
	// rotateImmediately=false, enabling rotation still invokes the function
	// (testSecret), which must already be allowed to read the secret.
	fn, err := lambda.NewFunction(ctx, name+"-rotation", &lambda.FunctionArgs{
		Name:           pulumi.String(fnName),
		Description:    pulumi.Sprintf("Rotates %s", naming.SecretName(args.Stage)),
		Role:           role.Arn,
		Runtime:        pulumi.String(rotationRuntime),
		Handler:        pulumi.String(lambdabuild.BinaryName),
		Architectures:  pulumi.StringArray{pulumi.String(lambdabuild.DeployArch)},
		MemorySize:     pulumi.Int(rotationMemoryMB),
		Timeout:        pulumi.Int(rotationTimeoutSec),
		Code:           pulumi.NewFileArchive(bundle.ZipPath),
		SourceCodeHash: pulumi.String(bundle.SourceCodeHash),
		Environment: &lambda.FunctionEnvironmentArgs{
			Variables: pulumi.StringMap{rotation.LengthEnv: pulumi.String(strconv.Itoa(args.Length))},
		},
		Tags: tags,
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{logGroup, rolePolicy}))
	if err != nil {
		return nil, fmt.Errorf("creating the rotation function: %w", err)
	}

	// Both conditions: Secrets Manager of this account, for this secret only
	// (the confused-deputy protection AWS recommends for rotation functions).
	permission, err := lambda.NewPermission(ctx, name+"-rotation-invoke", &lambda.PermissionArgs{
		Function:      fn.Name,
		StatementId:   pulumi.String("SecretsManagerRotatesJwtSecret"),
		Action:        pulumi.String("lambda:InvokeFunction"),
		Principal:     pulumi.String(secretsManager),
		SourceAccount: pulumi.String(accountID),
		SourceArn:     sec.secret.Arn,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("allowing Secrets Manager to invoke the rotation function: %w", err)
	}

	// rotateImmediately=false keeps the value the version just wrote (the
	// provider's default would replace it within seconds). The rotation
	// waits for the version, because rotating a secret without a current
	// value fails, and for the permission, without which Secrets Manager
	// cannot call the function.
	_, err = secretsmanager.NewSecretRotation(ctx, name+"-rotation-schedule", &secretsmanager.SecretRotationArgs{
		SecretId:          sec.secret.ID(),
		RotationLambdaArn: fn.Arn,
		RotateImmediately: pulumi.Bool(false),
		RotationRules: &secretsmanager.SecretRotationRotationRulesArgs{
			AutomaticallyAfterDays: pulumi.Int(args.RotationDays),
		},
	}, pulumi.Parent(c), pulumi.Protect(args.Protect), pulumi.DependsOn([]pulumi.Resource{sec.version, permission}))
	if err != nil {
		return nil, fmt.Errorf("enabling rotation: %w", err)
	}
	return fn, nil
}
