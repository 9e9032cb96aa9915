// Package rotation implements the Secrets Manager rotation protocol for the
// JWT signing secret: four idempotent steps that Secrets Manager invokes with
// the same token, retrying the whole rotation when a step fails.
//
// Every step first re-validates the secret's state, as AWS's rotation
// template does, so that a retried, duplicated or stale invocation either
// finishes the rotation it belongs to or fails without writing anything.
package rotation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Staging labels Secrets Manager gives the versions of a secret.
const (
	StageCurrent  = "AWSCURRENT"
	StagePending  = "AWSPENDING"
	StagePrevious = "AWSPREVIOUS"
)

// LengthEnv is the environment variable that sets the length of generated
// values; the Pulumi program sets it from the stack's `length`.
const LengthEnv = "SECRET_LENGTH"

// Refusals: a step returns one of these (wrapped, naming the secret and the
// token) when the secret is not in a state the step may act on.
var (
	ErrRotationDisabled = errors.New("rotation is not enabled")
	ErrUnknownVersion   = errors.New("token is not a version of the secret")
	ErrNotPending       = errors.New("version is not staged as AWSPENDING")
)

// Client is the part of the Secrets Manager API a rotation uses;
// *secretsmanager.Client implements it.
type Client interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// Rotator runs rotation steps against one Secrets Manager client.
type Rotator struct {
	client Client
	length int
	log    *slog.Logger
}

// New returns a Rotator that generates values of the given length and logs
// to log (which must never receive a secret value; the Rotator does not give
// it one).
func New(client Client, length int, log *slog.Logger) (*Rotator, error) {
	if err := ValidateLength(length); err != nil {
		return nil, fmt.Errorf("rotation function: %w", err)
	}
	return &Rotator{client: client, length: length, log: log}, nil
}

// ParseLength reads the value of LengthEnv; empty means DefaultLength.
func ParseLength(s string) (int, error) {
	if s == "" {
		return DefaultLength, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || ValidateLength(n) != nil {
		return 0, fmt.Errorf("%s %q is invalid: allowed are whole numbers %d to %d", LengthEnv, s, MinLength, MaxLength)
	}
	return n, nil
}

// Handle is the Lambda handler: it decodes the event and runs its step.
func (r *Rotator) Handle(ctx context.Context, payload json.RawMessage) error {
	ev, err := ParseEvent(payload)
	if err != nil {
		r.log.ErrorContext(ctx, "rejected event", "error", err.Error())
		return err
	}
	return r.Run(ctx, ev)
}

// Run validates the secret's state for ev and runs ev's step.
func (r *Rotator) Run(ctx context.Context, ev Event) error {
	log := r.log.With("step", string(ev.Step), "secretArn", ev.SecretID, "token", ev.ClientRequestToken)
	log.InfoContext(ctx, "step started")
	err := r.run(ctx, log, ev)
	if err != nil {
		log.ErrorContext(ctx, "step failed", "error", err.Error())
		return err
	}
	log.InfoContext(ctx, "step finished")
	return nil
}

func (r *Rotator) run(ctx context.Context, log *slog.Logger, ev Event) error {
	st, err := r.validate(ctx, ev)
	if err != nil {
		return err
	}
	switch ev.Step {
	case CreateSecret:
		return r.createSecret(ctx, log, ev, st)
	case SetSecret:
		return r.setSecret(ctx, log, ev, st)
	case TestSecret:
		return r.testSecret(ctx, log, ev, st)
	case FinishSecret:
		return r.finishSecret(ctx, log, ev, st)
	}
	return fmt.Errorf("%w: unknown step %q", ErrMalformedEvent, ev.Step)
}

// versionState is what validate learned from DescribeSecret.
type versionState struct {
	current     string   // the version that carries AWSCURRENT
	tokenStages []string // the labels on the token's version
}

func (s versionState) tokenIsCurrent() bool { return slices.Contains(s.tokenStages, StageCurrent) }
func (s versionState) tokenIsPending() bool { return slices.Contains(s.tokenStages, StagePending) }

// validate is the check every step starts with: rotation is enabled, the
// token is a version of the secret, and it is either already AWSCURRENT (the
// rotation is done) or AWSPENDING.
func (r *Rotator) validate(ctx context.Context, ev Event) (versionState, error) {
	out, err := r.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ev.SecretID)})
	if err != nil {
		return versionState{}, fmt.Errorf("secret %s: describing secret: %w", ev.SecretID, err)
	}
	if !aws.ToBool(out.RotationEnabled) {
		return versionState{}, fmt.Errorf("secret %s, token %s: %w", ev.SecretID, ev.ClientRequestToken, ErrRotationDisabled)
	}
	stages, ok := out.VersionIdsToStages[ev.ClientRequestToken]
	if !ok {
		return versionState{}, fmt.Errorf("secret %s, token %s: %w", ev.SecretID, ev.ClientRequestToken, ErrUnknownVersion)
	}
	st := versionState{tokenStages: stages}
	for id, s := range out.VersionIdsToStages {
		if slices.Contains(s, StageCurrent) {
			st.current = id
		}
	}
	if !st.tokenIsCurrent() && !st.tokenIsPending() {
		return versionState{}, fmt.Errorf("secret %s, token %s: %w (labels %v)", ev.SecretID, ev.ClientRequestToken, ErrNotPending, stages)
	}
	return st, nil
}

// createSecret gives the pending version a fresh random value, unless the
// rotation is already finished or an earlier attempt already stored one: a
// retry must not replace a value that a later step may have tested.
func (r *Rotator) createSecret(ctx context.Context, log *slog.Logger, ev Event, st versionState) error {
	if st.tokenIsCurrent() {
		log.InfoContext(ctx, "version is already AWSCURRENT; nothing to do")
		return nil
	}
	_, err := r.getPending(ctx, ev)
	if err == nil {
		log.InfoContext(ctx, "pending version already has a value; keeping it")
		return nil
	}
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		return err
	}
	value, err := GenerateValue(r.length)
	if err != nil {
		return fmt.Errorf("secret %s, token %s: generating value: %w", ev.SecretID, ev.ClientRequestToken, err)
	}
	_, err = r.client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(ev.SecretID),
		ClientRequestToken: aws.String(ev.ClientRequestToken),
		SecretString:       aws.String(value),
		VersionStages:      []string{StagePending},
	})
	if err != nil {
		return fmt.Errorf("secret %s, token %s: storing pending value: %w", ev.SecretID, ev.ClientRequestToken, err)
	}
	log.InfoContext(ctx, "stored new pending value", "length", r.length)
	return nil
}

// setSecret would hand the pending value to the service that uses it, as a
// database rotation sets the new password. A JWT signing key has no such
// service: the app Lambdas read the secret from Secrets Manager themselves,
// so this step only re-validates and returns.
func (r *Rotator) setSecret(ctx context.Context, log *slog.Logger, _ Event, _ versionState) error {
	log.InfoContext(ctx, "no downstream service to update")
	return nil
}

// testSecret checks that the pending value exists and is well formed. It
// also serves AWS's validation run when rotation is enabled without rotating
// immediately: AWS then stages a copy of the current value as AWSPENDING,
// runs only this step and removes the label again, so the check must not
// depend on the other steps having run.
func (r *Rotator) testSecret(ctx context.Context, log *slog.Logger, ev Event, st versionState) error {
	if st.tokenIsCurrent() {
		log.InfoContext(ctx, "version is already AWSCURRENT; nothing to do")
		return nil
	}
	out, err := r.getPending(ctx, ev)
	if err != nil {
		return err
	}
	if err := ValidateValue(aws.ToString(out.SecretString), r.length); err != nil {
		return fmt.Errorf("secret %s, token %s: pending value: %w", ev.SecretID, ev.ClientRequestToken, err)
	}
	log.InfoContext(ctx, "pending value is well formed")
	return nil
}

// finishSecret makes the pending version current. Secrets Manager labels the
// version that was current AWSPREVIOUS: that is the grace key app Lambdas
// keep verifying older tokens with. AWSPENDING is then removed so that the
// next RotateSecret does not see an unfinished rotation. If an earlier
// attempt moved AWSCURRENT but lost the response, the label removal is the
// only thing left to do.
func (r *Rotator) finishSecret(ctx context.Context, log *slog.Logger, ev Event, st versionState) error {
	if !st.tokenIsCurrent() {
		in := &secretsmanager.UpdateSecretVersionStageInput{
			SecretId:        aws.String(ev.SecretID),
			VersionStage:    aws.String(StageCurrent),
			MoveToVersionId: aws.String(ev.ClientRequestToken),
		}
		if st.current != "" {
			in.RemoveFromVersionId = aws.String(st.current)
		}
		if _, err := r.client.UpdateSecretVersionStage(ctx, in); err != nil {
			return fmt.Errorf("secret %s, token %s: moving AWSCURRENT from version %s: %w", ev.SecretID, ev.ClientRequestToken, st.current, err)
		}
		log.InfoContext(ctx, "moved AWSCURRENT", "previousVersion", st.current)
	}
	if st.tokenIsPending() {
		_, err := r.client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
			SecretId:            aws.String(ev.SecretID),
			VersionStage:        aws.String(StagePending),
			RemoveFromVersionId: aws.String(ev.ClientRequestToken),
		})
		if err != nil {
			return fmt.Errorf("secret %s, token %s: removing AWSPENDING: %w", ev.SecretID, ev.ClientRequestToken, err)
		}
	}
	return nil
}

// getPending reads the token's version, which must carry AWSPENDING.
func (r *Rotator) getPending(ctx context.Context, ev Event) (*secretsmanager.GetSecretValueOutput, error) {
	out, err := r.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId:     aws.String(ev.SecretID),
		VersionId:    aws.String(ev.ClientRequestToken),
		VersionStage: aws.String(StagePending),
	})
	if err != nil {
		return nil, fmt.Errorf("secret %s, token %s: reading pending value: %w", ev.SecretID, ev.ClientRequestToken, err)
	}
	return out, nil
}
