package infra

import (
	"encoding/json"
	"fmt"
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
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

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

// rotationPolicy is the rotation function's inline policy: the four
// protocol actions on this one secret and writing its own log group. It
// replaces AWSLambdaBasicExecutionRole, which allows logs on "*".
// logGroupArn is the group's ARN as the provider reports it, without ":*".
func rotationPolicy(secretArn, logGroupArn string) (string, error) {
	return render(policyDocument{Statement: []policyStatement{
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
	}})
}

// logStreamsArn is the ARN pattern of the log streams of a log group, the
// resource CreateLogStream and PutLogEvents are authorized against.
func logStreamsArn(logGroupArn string) string {
	return logGroupArn + ":*"
}

// readerPolicy is the managed policy that application roles get attached
// (readerRoles) to read this secret and no other.
func readerPolicy(secretArn string) (string, error) {
	return render(policyDocument{Statement: []policyStatement{{
		Sid:      "ReadJwtSecret",
		Effect:   "Allow",
		Action:   readerActions,
		Resource: []string{secretArn},
	}}})
}
