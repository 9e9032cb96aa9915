// Package naming is the single source of truth for how a stage maps to the
// names of the things this project creates in AWS, and for the region they
// live in by default. The Pulumi program, the operator command and the docs
// all derive names from here.
package naming

import (
	"fmt"
	"regexp"
)

// DefaultRegion is the region of a stage unless configured otherwise: what
// the old setup script defaulted to. Both stack files set aws:region to it
// (a test checks), and jwtsecretctl falls back to it.
const DefaultRegion = "us-east-1"

// secretNameSuffix is what the imperative setup script appended to the stage;
// keeping it lets existing app Lambdas find the secret under the same name.
const secretNameSuffix = "-auris-jwt-secret"

// MaxStageLength keeps every derived name within AWS's limits: the tightest
// are the rotation function's IAM role and the EventBridge rule
// (RotationFailedRuleName, the longest name at 58 characters), both limited
// to 64 characters.
const MaxStageLength = 32

var stagePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// ValidateStage reports whether stage can be used to derive resource names:
// 1..MaxStageLength lowercase letters, digits and inner hyphens.
func ValidateStage(stage string) error {
	if len(stage) == 0 || len(stage) > MaxStageLength || !stagePattern.MatchString(stage) {
		return fmt.Errorf("stage %q is invalid: allowed are 1 to %d lowercase letters, digits and hyphens, starting and ending with a letter or digit", stage, MaxStageLength)
	}
	return nil
}

// SecretName is the Secrets Manager name of the JWT signing secret of stage.
func SecretName(stage string) string {
	return stage + secretNameSuffix
}

// RotationFunctionName is the name of the rotation Lambda of stage; its IAM
// role and log group are named after it.
func RotationFunctionName(stage string) string {
	return stage + "-auris-jwt-rotation"
}

// AlertTopicName is the SNS topic of stage that failed rotations are
// reported to.
func AlertTopicName(stage string) string {
	return stage + "-auris-jwt-alerts"
}

// RotationErrorsAlarmName is the CloudWatch alarm of stage on the rotation
// function's Errors metric.
func RotationErrorsAlarmName(stage string) string {
	return RotationFunctionName(stage) + "-errors"
}

// RotationFailedRuleName is the EventBridge rule of stage that matches
// Secrets Manager's failed-rotation events for the secret. It is the longest
// EventBridge name (rule names are limited to 64 characters).
func RotationFailedRuleName(stage string) string {
	return RotationFunctionName(stage) + "-failed"
}

// KeyAliasName is the alias of the KMS key the program creates for stage
// (createKmsKey).
func KeyAliasName(stage string) string {
	return "alias/" + SecretName(stage)
}
