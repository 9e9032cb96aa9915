package infra

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Every IAM document the program creates is built here, from the ARNs of the
// resources it grants access to, so that a review of this file is a review
// of all the access the stack grants.

// The Secrets Manager actions of the rotation function (see rotation.Client).
// It generates values with crypto/rand, so it needs no GetRandomPassword, the
// one action that would require Resource "*".
var rotationSecretActions = []string{
	"secretsmanager:DescribeSecret",
	"secretsmanager:GetSecretValue",
	"secretsmanager:PutSecretValue",
	"secretsmanager:UpdateSecretVersionStage",
}

// The log actions of a Lambda function writing to a log group that already
// exists: no CreateLogGroup, because the program creates the group (with a
// retention period) before the function.
var rotationLogActions = []string{
	"logs:CreateLogStream",
	"logs:PutLogEvents",
}

// The KMS actions Secrets Manager performs with a customer managed key on
// behalf of its caller: GetSecretValue decrypts (kms:Decrypt); PutSecretValue,
// which the rotation function calls, encrypts a new data key
// (kms:GenerateDataKey) and the function's GetSecretValue calls decrypt.
var (
	readerKeyActions   = []string{"kms:Decrypt"}
	rotationKeyActions = []string{"kms:Decrypt", "kms:GenerateDataKey"}
)

// The actions an application needs to use the secret: read the value of a
// stage (AWSCURRENT to sign, AWSPREVIOUS to verify during the grace period)
// and describe it to find the stages' version ids.
var readerActions = []string{
	"secretsmanager:DescribeSecret",
	"secretsmanager:GetSecretValue",
}

const lambdaServicePrincipal = "lambda.amazonaws.com"

type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string            `json:"Sid,omitempty"`
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal,omitempty"`
	Action    []string          `json:"Action"`
	Resource  []string          `json:"Resource,omitempty"`
	Condition conditions        `json:"Condition,omitempty"`
}

// conditions is a Condition block: operator -> context key -> values. A
// statement applies when every key of every operator matches one of its
// values.
type conditions map[string]map[string][]string

func render(doc policyDocument) (string, error) {
	doc.Version = "2012-10-17"
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("rendering IAM policy document: %w", err)
	}
	return string(b), nil
}

// lambdaAssumeRolePolicy lets the Lambda service, and nothing else, assume
// the rotation role. It carries no aws:SourceAccount condition: only a
// principal with iam:PassRole in this account can attach the role to a
// function, so the trust is already confined to the account, and a condition
// on a key the Lambda service might not send would silently break rotation.
func lambdaAssumeRolePolicy() (string, error) {
	return render(policyDocument{Statement: []policyStatement{{
		Sid:       "LambdaAssumesRotationRole",
		Effect:    "Allow",
		Principal: map[string]string{"Service": lambdaServicePrincipal},
		Action:    []string{"sts:AssumeRole"},
	}}})
}

// secretKey is the customer managed key that encrypts the secret, as the
// IAM documents need it: its ARN and the region of the Secrets Manager
// endpoint that uses it. A nil *secretKey is the AWS managed key
// aws/secretsmanager, which needs no KMS permission in the account.
type secretKey struct {
	keyArn, region string
}

// useViaSecretsManager is the statement that lets a principal have Secrets
// Manager use the key for this secret only: kms:ViaService confines the use
// to Secrets Manager in the secret's region (not direct KMS calls), and the
// SecretARN encryption context, which Secrets Manager sends with every KMS
// request, to this secret (the key may encrypt other secrets too).
func (k *secretKey) useViaSecretsManager(sid string, actions []string, secretArn string) policyStatement {
	return policyStatement{
		Sid:      sid,
		Effect:   "Allow",
		Action:   actions,
		Resource: []string{k.keyArn},
		Condition: conditions{"StringEquals": {
			"kms:ViaService":                  {secretsManagerEndpoint(k.region)},
			"kms:EncryptionContext:SecretARN": {secretArn},
		}},
	}
}

// secretsManagerEndpoint is the kms:ViaService value of Secrets Manager in
// region.
func secretsManagerEndpoint(region string) string {
	return "secretsmanager." + region + ".amazonaws.com"
}

// rotationPolicy is the rotation function's inline policy: the four
// protocol actions on this one secret and writing its own log group, and,
// with a customer managed key, using the key through Secrets Manager for
// this secret. It replaces AWSLambdaBasicExecutionRole, which allows logs on
// "*". logGroupArn is the group's ARN as the provider reports it, without
// ":*". The function writes to the primary secret only; Secrets Manager
// copies new versions to the replicas itself.
func rotationPolicy(secretArn, logGroupArn string, key *secretKey) (string, error) {
	statements := []policyStatement{
		{
			Sid:      "RotateThisSecret",
			Effect:   "Allow",
			Action:   rotationSecretActions,
			Resource: []string{secretArn},
		},
		{
			Sid:      "WriteOwnLogs",
			Effect:   "Allow",
			Action:   rotationLogActions,
			Resource: []string{logStreamsArn(logGroupArn)},
		},
	}
	if key != nil {
		statements = append(statements, key.useViaSecretsManager("EncryptThisSecretWithItsKey", rotationKeyActions, secretArn))
	}
	return render(policyDocument{Statement: statements})
}

// logStreamsArn is the ARN pattern of the log streams of a log group, the
// resource CreateLogStream and PutLogEvents are authorized against.
func logStreamsArn(logGroupArn string) string {
	return logGroupArn + ":*"
}

// readerPolicy is the managed policy that application roles get attached
// (readerRoles) to read this secret and no other: the primary secret and its
// replicas (replicaArns), so that an application reads the copy in its own
// region. With a customer managed key it also lets Secrets Manager decrypt
// the primary's value for the reader; replicas are encrypted with
// aws/secretsmanager in their regions (see newSecret) and need nothing more.
func readerPolicy(secretArn string, replicaArns []string, key *secretKey) (string, error) {
	statements := []policyStatement{{
		Sid:      "ReadJwtSecret",
		Effect:   "Allow",
		Action:   readerActions,
		Resource: append([]string{secretArn}, replicaArns...),
	}}
	if key != nil {
		statements = append(statements, key.useViaSecretsManager("DecryptJwtSecret", readerKeyActions, secretArn))
	}
	return render(policyDocument{Statement: statements})
}

// replicaArn is the ARN of the replica of the secret secretArn in region:
// Secrets Manager gives a replica the primary's ARN with the region
// replaced (same name, same random suffix).
func replicaArn(secretArn, region string) string {
	parts := strings.SplitN(secretArn, ":", 6)
	if len(parts) != 6 {
		return secretArn
	}
	parts[3] = region
	return strings.Join(parts, ":")
}

// The resource policy of the secret (secretsmanager.SecretPolicy). Its
// statements only deny: it grants nothing, so identity policies (the
// reader policy, the rotation role's) still decide who may read, and
// blockPublicPolicy has nothing to object to. It is replicated with the
// secret, and aws:PrincipalArn/aws:PrincipalAccount mean the same in every
// region, so it guards the replicas too.

// readActions are what the resource policy denies: reading the value.
// BatchGetSecretValue is authorized per secret as GetSecretValue, so this
// covers it too.
var readActions = []string{"secretsmanager:GetSecretValue"}

// notAnAWSService exempts AWS services acting as themselves (aws:PrincipalIsAWSService
// is true for service principals, absent for anonymous requests, false for
// everyone else), so a deny never reaches Secrets Manager's own work such as
// replication: BoolIfExists treats a missing key as a match, so anonymous
// requests stay denied.
var notAnAWSService = map[string][]string{"aws:PrincipalIsAWSService": {"false"}}

// readRestriction lists the principals that keep read access when
// restrictReaders is on, as aws:PrincipalArn patterns (ArnLike).
type readRestriction struct {
	rotationRoleArn string
	readerRoleArns  []string
	deployerArns    []string
}

// secretResourcePolicy denies reading the value to every principal outside
// accountID and, with restrict, to every principal but the listed ones.
func secretResourcePolicy(accountID string, restrict *readRestriction) (string, error) {
	statements := []policyStatement{{
		Sid:       "DenyReadOutsideAccount",
		Effect:    "Deny",
		Principal: map[string]string{"AWS": "*"},
		Action:    readActions,
		Resource:  []string{"*"},
		Condition: conditions{
			"StringNotEquals": {"aws:PrincipalAccount": {accountID}},
			"BoolIfExists":    notAnAWSService,
		},
	}}
	if restrict != nil {
		allowed := append(append([]string{restrict.rotationRoleArn}, restrict.readerRoleArns...), restrict.deployerArns...)
		statements = append(statements, policyStatement{
			Sid:       "DenyReadToAllButReaders",
			Effect:    "Deny",
			Principal: map[string]string{"AWS": "*"},
			Action:    readActions,
			Resource:  []string{"*"},
			Condition: conditions{
				"ArnNotLike":   {"aws:PrincipalArn": allowed},
				"BoolIfExists": notAnAWSService,
			},
		})
	}
	return render(policyDocument{Statement: statements})
}

// keyPolicy is the key policy of the key createKmsKey creates: the AWS
// default key policy, which gives the account (its root principal) full
// control so that IAM policies decide who uses and manages the key. The
// readers', the rotation role's and the deployer's IAM policies then grant
// exactly what each needs; without this statement no IAM policy could grant
// anything on the key.
func keyPolicy(partition, accountID string) (string, error) {
	return render(policyDocument{Statement: []policyStatement{{
		Sid:       "EnableIAMPolicies",
		Effect:    "Allow",
		Principal: map[string]string{"AWS": "arn:" + partition + ":iam::" + accountID + ":root"},
		Action:    []string{"kms:*"},
		Resource:  []string{"*"},
	}}})
}

// alertTopicPolicy replaces the SNS topic's default policy (which lets
// every principal of the account publish and subscribe): only CloudWatch,
// for the rotation errors alarm, and EventBridge, for the failed-rotation
// rule, may publish, each only on behalf of that one alarm or rule of this
// account (aws:SourceArn and aws:SourceAccount, against the confused
// deputy). Managing the topic stays with the account's IAM policies.
func alertTopicPolicy(topicArn, accountID, alarmArn, ruleArn string) (string, error) {
	publish := func(sid, service, sourceArn string) policyStatement {
		return policyStatement{
			Sid:       sid,
			Effect:    "Allow",
			Principal: map[string]string{"Service": service},
			Action:    []string{"sns:Publish"},
			Resource:  []string{topicArn},
			Condition: conditions{
				"StringEquals": {"aws:SourceAccount": {accountID}},
				"ArnEquals":    {"aws:SourceArn": {sourceArn}},
			},
		}
	}
	return render(policyDocument{Statement: []policyStatement{
		publish("RotationErrorsAlarmPublishes", "cloudwatch.amazonaws.com", alarmArn),
		publish("RotationFailedRulePublishes", "events.amazonaws.com", ruleArn),
	}})
}
