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

// MaxStageLength keeps every derived name (the longest is the rotation
// function's IAM role, limited to 64 characters) within AWS's limits.
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
