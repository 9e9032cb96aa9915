package infra

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

var (
	// assumedRolePattern is an STS assumed-role session, as
	// sts:GetCallerIdentity reports a role's credentials (a CI role, an SSO
	// permission set): arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION.
	assumedRolePattern = regexp.MustCompile(`^arn:(aws[a-z-]*):sts::([0-9]{12}):assumed-role/([\w+=,.@-]{1,64})/[^/]+$`)
	// principalArnPattern is an identity that aws:PrincipalArn reports as
	// sts:GetCallerIdentity does: an IAM user (with its path), the account
	// root, or a federated user.
	principalArnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:(iam::[0-9]{12}:(user/.+|root)|sts::[0-9]{12}:federated-user/.+)$`)
	partitionPattern    = regexp.MustCompile(`^arn:(aws[a-z-]*):`)
)

// deployerPrincipalArns converts the deploying identity, as
// sts:GetCallerIdentity reports it, into aws:PrincipalArn patterns (for
// ArnLike) that match it in the resource policy.
//
// For a role, GetCallerIdentity reports the session
// (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION) while aws:PrincipalArn is
// the role itself, arn:aws:iam::ACCOUNT:role/PATH/NAME, and the session ARN
// does not say the role's path (SSO roles live under
// /aws-reserved/sso.amazonaws.com/, CI roles often under a path of their
// own). So the role is matched by name under any path: role/NAME and
// role/*/NAME. A role name cannot contain "/", so these match exactly the
// roles named NAME in this account, one per path; the looser role/*NAME
// would also match, say, role/legacy-NAME.
func deployerPrincipalArns(callerArn string) ([]string, error) {
	if m := assumedRolePattern.FindStringSubmatch(callerArn); m != nil {
		return rolePrincipalArns(m[1], m[2], m[3]), nil
	}
	if principalArnPattern.MatchString(callerArn) {
		return []string{callerArn}, nil
	}
	return nil, fmt.Errorf("cannot tell the deploying identity's principal ARN from %q (want an assumed role, an IAM user, the root user or a federated user); "+
		"without it %s would lock the deployer out of the value it writes", callerArn, KeyRestrictReaders)
}

// rolePrincipalArns are the aws:PrincipalArn patterns of the role named
// name, wherever its path: IAM role names are unique in an account whatever
// the path, and reader roles are configured by name (readerRoles).
func rolePrincipalArns(partition, accountID, name string) []string {
	prefix := "arn:" + partition + ":iam::" + accountID + ":role/"
	return []string{prefix + name, prefix + "*/" + name}
}

// partitionOf is the partition of an ARN ("aws", "aws-cn", ...).
func partitionOf(arn string) string {
	if m := partitionPattern.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return "aws"
}

// newSecretPolicy attaches the resource policy to the secret
// (secretResourcePolicy): reading the value is denied outside the account
// and, with restrictReaders, to all but the reader roles, the rotation role
// and the deploying identity (deployer, from deployerPrincipalArns). The
// deployer must keep access: the provider reads the value back when it
// writes a version and on every refresh.
//
// blockPublicPolicy makes Secrets Manager refuse any policy that would give
// broad access; this one only denies. The policy is protected with the
// Secret: removing it would silently lift the restriction.
func newSecretPolicy(ctx *pulumi.Context, c *JwtSecret, name string, args *JwtSecretArgs,
	secret *secretsmanager.Secret, rotationRoleArn pulumi.StringOutput, partition, accountID string, deployer []string,
) (*secretsmanager.SecretPolicy, error) {
	var readers []string
	for _, role := range args.ReaderRoles {
		readers = append(readers, rolePrincipalArns(partition, accountID, role)...)
	}
	document := rotationRoleArn.ApplyT(func(roleArn string) (string, error) {
		if !args.RestrictReaders {
			return secretResourcePolicy(accountID, nil)
		}
		return secretResourcePolicy(accountID, &readRestriction{
			rotationRoleArn: roleArn,
			readerRoleArns:  readers,
			deployerArns:    deployer,
		})
	}).(pulumi.StringOutput)
	policy, err := secretsmanager.NewSecretPolicy(ctx, name+"-secret-policy", &secretsmanager.SecretPolicyArgs{
		SecretArn:         secret.Arn,
		Policy:            document,
		BlockPublicPolicy: pulumi.Bool(true),
	}, pulumi.Parent(c), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("creating the secret's resource policy: %w", err)
	}
	return policy, nil
}
