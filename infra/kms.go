package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/auris/jwtsecret/naming"
)

// keyDeletionWindowDays is the longest waiting period KMS allows: a key
// scheduled for deletion can be recovered for that long, and every value it
// encrypted is lost once it is gone.
const keyDeletionWindowDays = 30

// customerKey is the customer managed key that encrypts the secret, as the
// program knows it while it registers resources.
type customerKey struct {
	// arn is the key ARN, from kmsKeyArn or from the created key.
	arn pulumi.StringOutput
	// created is the key createKmsKey made, nil for kmsKeyArn.
	created *kms.Key
}

// newKey returns the secret's customer managed key: the configured
// kmsKeyArn, or a key it creates (createKmsKey) with an alias named after the
// secret. It returns nil when the secret uses the AWS managed key.
//
// The created key is protected with the Secret (protect): deleting it would
// make every value it encrypted unreadable, whatever happens to the secret.
// It is a single-Region key; replicas use aws/secretsmanager in their regions
// (see newSecret).
func newKey(ctx *pulumi.Context, c *JwtSecret, name string, args *JwtSecretArgs, tags pulumi.StringMap, partition, accountID string) (*customerKey, error) {
	switch {
	case args.KmsKeyArn != "":
		return &customerKey{arn: pulumi.String(args.KmsKeyArn).ToStringOutput()}, nil
	case !args.CreateKmsKey:
		return nil, nil
	}
	policy, err := keyPolicy(partition, accountID)
	if err != nil {
		return nil, err
	}
	key, err := kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		// Like the secret's, the description depends on the stage only.
		Description:          pulumi.Sprintf("Encrypts the JWT signing secret %s", naming.SecretName(args.Stage)),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(keyDeletionWindowDays),
		Policy:               pulumi.String(policy),
		Tags:                 tags,
	}, pulumi.Parent(c), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("creating the KMS key: %w", err)
	}
	// The alias names the key after the secret, for people (key ids are
	// random); nothing the program grants refers to it.
	if _, err := kms.NewAlias(ctx, name+"-key-alias", &kms.AliasArgs{
		Name:        pulumi.String(naming.KeyAliasName(args.Stage)),
		TargetKeyId: key.KeyId,
	}, pulumi.Parent(c)); err != nil {
		return nil, fmt.Errorf("creating the KMS key alias: %w", err)
	}
	return &customerKey{arn: key.Arn, created: key}, nil
}

// grant returns the key as the IAM documents need it, once its ARN is
// known; nil (no key) stays nil.
func (k *customerKey) grant(keyArn, region string) *secretKey {
	if k == nil {
		return nil
	}
	return &secretKey{keyArn: keyArn, region: region}
}

// arnOutput is the key ARN, or an empty string without a key, so that it can
// join pulumi.All with the other ARNs a document needs.
func (k *customerKey) arnOutput() pulumi.StringOutput {
	if k == nil {
		return pulumi.String("").ToStringOutput()
	}
	return k.arn
}
