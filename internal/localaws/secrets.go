package localaws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Labels maps each staging label of the secret to the version carrying it,
// as DescribeSecret reports it.
func Labels(ctx context.Context, sm *secretsmanager.Client, secretID string) (map[string]string, error) {
	d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretID)})
	if err != nil {
		return nil, fmt.Errorf("describing %s: %w", secretID, err)
	}
	m := map[string]string{}
	for id, labels := range d.VersionIdsToStages {
		for _, l := range labels {
			m[l] = id
		}
	}
	return m, nil
}

// Values returns the value of every version the secret ever had, deprecated
// ones included, by version id: what tests search logs and output for.
// Versions without a value (RotateSecret's placeholder) are left out.
func Values(ctx context.Context, sm *secretsmanager.Client, secretID string) (map[string]string, error) {
	versions, err := sm.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{
		SecretId: aws.String(secretID), IncludeDeprecated: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("listing the versions of %s: %w", secretID, err)
	}
	values := map[string]string{}
	for _, v := range versions.Versions {
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID), VersionId: v.VersionId})
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading version %s of %s: %w", aws.ToString(v.VersionId), secretID, err)
		}
		values[aws.ToString(v.VersionId)] = aws.ToString(out.SecretString)
	}
	return values, nil
}
