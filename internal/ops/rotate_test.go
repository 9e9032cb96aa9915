package ops

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// getStage reads the value a stage label points at, as an app Lambda does
// to sign (AWSCURRENT) or verify during the grace period (AWSPREVIOUS).
func getStage(t *testing.T, arn, stage string) (string, error) {
	t.Helper()
	out, err := env.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(arn), VersionStage: aws.String(stage)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.SecretString), nil
}

func TestRotate(t *testing.T) {
	stage := newStage(t)
	arn, current, previous := deployed(t, stage)
	signingKey, err := getStage(t, arn, StageCurrent)
	if err != nil {
		t.Fatal(err)
	}

	r := run(t, "", "rotate", "--stage", stage)
	wantCode(t, r, ExitOK)
	// Only the SecretId: AWS uses the configured Lambda and keeps the
	// schedule the Pulumi program set.
	if len(r.rotates) != 1 {
		t.Fatalf("%d RotateSecret calls, want 1", len(r.rotates))
	}
	in := r.rotates[0]
	if aws.ToString(in.SecretId) != arn || in.RotationLambdaARN != nil || in.RotationRules != nil || in.RotateImmediately != nil {
		t.Fatalf("RotateSecret input %+v, want only the SecretId", in)
	}
	token := labels(t, arn)[StagePending]
	if token == "" || token == current {
		t.Fatalf("no new AWSPENDING version after rotate: %v", labels(t, arn))
	}
	wantContains(t, "rotate", r.stdout,
		"new version "+token+" is AWSPENDING",
		"the current version "+current+" then becomes AWSPREVIOUS",
		"older version "+previous+" (AWSPREVIOUS now) stop verifying",
		"Watch it: jwtsecretctl status --stage "+stage+" --region us-east-1")

	// The function finishes it: the old signing key is the grace key.
	finishRotation(t, arn, token)
	l := labels(t, arn)
	if l[StageCurrent] != token || l[StagePrevious] != current || l[StagePending] != "" {
		t.Fatalf("labels after the rotation %v", l)
	}
	if grace, err := getStage(t, arn, StagePrevious); err != nil || grace != signingKey {
		t.Fatalf("AWSPREVIOUS is not the old signing key (err %v)", err)
	}
	// And the next rotation can start (nothing was left pending).
	again := run(t, "", "rotate", "--stage", stage)
	wantCode(t, again, ExitOK)
	finishRotation(t, arn, labels(t, arn)[StagePending])
	assertNoValues(t, arn, r, again)
}

func TestRotateRefusesWithoutRotation(t *testing.T) {
	stage := newStage(t)
	arn := createSecret(t, stage)
	before := labels(t, arn)
	r := run(t, "", "rotate", "--stage", stage)
	wantCode(t, r, ExitRefused)
	wantContains(t, "rotate", r.stderr, "refused: rotation is not enabled for "+stage+"-auris-jwt-secret", "pulumi up -s "+stage, "Nothing was changed")
	if len(r.rotates) != 0 || !maps.Equal(labels(t, arn), before) {
		t.Fatalf("a refused rotate changed something: calls %+v, labels %v", r.rotates, labels(t, arn))
	}
	if r.stdout != "" {
		t.Fatalf("stdout %q on a refusal", r.stdout)
	}
}

// TestRotateRefusesPending: with AWSPENDING on another version AWS rejects
// RotateSecret and moto starts a second rotation over the first; the
// command must do neither, whether the rotation is in flight or stuck.
func TestRotateRefusesPending(t *testing.T) {
	stage := newStage(t)
	arn, _, _ := deployed(t, stage)
	token := startRotation(t, arn)
	before := labels(t, arn)

	inFlight := run(t, "", "rotate", "--stage", stage)
	wantCode(t, inFlight, ExitRefused)
	wantContains(t, "rotate", inFlight.stderr, "already in progress: version "+token, "jwtsecretctl status --stage "+stage)

	stuck := runAt(t, time.Now().Add(PendingGrace+time.Minute), "", "rotate", "--stage", stage)
	wantCode(t, stuck, ExitRefused)
	wantContains(t, "rotate", stuck.stderr, "did not finish: version "+token,
		"--version-stage AWSPENDING --remove-from-version-id "+token, "/aws/lambda/ops-test-auris-jwt-rotation")

	if n := len(inFlight.rotates) + len(stuck.rotates); n != 0 || !maps.Equal(labels(t, arn), before) {
		t.Fatalf("a refused rotate changed something: %d calls, labels %v (before %v)", n, labels(t, arn), before)
	}
}

func TestRevokePreviousConfirmed(t *testing.T) {
	stage := newStage(t)
	arn, current, previous := deployed(t, stage)
	signingKey, _ := getStage(t, arn, StageCurrent)

	r := run(t, "revoke\n", "revoke-previous", "--stage", stage)
	wantCode(t, r, ExitOK)
	wantContains(t, "prompt", r.stderr,
		"AWSCURRENT is version "+current+", AWSPREVIOUS is version "+previous,
		`Remove AWSPREVIOUS from version `+previous+`? Every token signed with it stops verifying once app caches refresh (up to 5 minutes). Type "revoke" to confirm: `)
	wantContains(t, "revoke-previous", r.stdout, "Removed AWSPREVIOUS from version "+previous, "AWSCURRENT (version "+current+") is unchanged")
	assertRevoked(t, arn, current, signingKey)
	assertNoValues(t, arn, r)
}

func TestRevokePreviousYes(t *testing.T) {
	stage := newStage(t)
	arn, current, previous := deployed(t, stage)
	signingKey, _ := getStage(t, arn, StageCurrent)

	// No stdin at all: --yes must not read it.
	r := run(t, "", "revoke-previous", "--secret-id", arn, "--yes")
	wantCode(t, r, ExitOK)
	if strings.Contains(r.stderr, "confirm") {
		t.Fatalf("--yes still prompted: %s", r.stderr)
	}
	wantContains(t, "revoke-previous", r.stdout, "Removed AWSPREVIOUS from version "+previous)
	assertRevoked(t, arn, current, signingKey)
}

// assertRevoked: no version carries AWSPREVIOUS, so an app can no longer
// fetch a grace key, and the signing key did not change.
func assertRevoked(t *testing.T, arn, current, signingKey string) {
	t.Helper()
	l := labels(t, arn)
	if l[StagePrevious] != "" || l[StageCurrent] != current {
		t.Fatalf("labels after revoke-previous %v", l)
	}
	_, err := getStage(t, arn, StagePrevious)
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("reading AWSPREVIOUS after the revocation: %v, want ResourceNotFoundException", err)
	}
	if v, err := getStage(t, arn, StageCurrent); err != nil || v != signingKey {
		t.Fatalf("the signing key changed (err %v)", err)
	}
}

func TestRevokePreviousNotConfirmed(t *testing.T) {
	stage := newStage(t)
	arn, _, previous := deployed(t, stage)
	before := labels(t, arn)
	for _, answer := range []string{"", "\n", "y\n", "yes\n", "Revoke\n", "revoke it\n"} {
		r := run(t, answer, "revoke-previous", "--stage", stage)
		wantCode(t, r, ExitRefused)
		wantContains(t, "revoke-previous", r.stderr, `Type "revoke" to confirm`, "refused: not confirmed: AWSPREVIOUS stays on version "+previous, "--yes")
		if r.stdout != "" {
			t.Fatalf("answer %q: stdout %q", answer, r.stdout)
		}
		if !maps.Equal(labels(t, arn), before) {
			t.Fatalf("answer %q changed the labels: %v", answer, labels(t, arn))
		}
	}
	// Surrounding blanks (a terminal's CRLF) still confirm.
	wantCode(t, run(t, "  revoke \r\n", "revoke-previous", "--stage", stage), ExitOK)
}

func TestRevokePreviousNothingToRevoke(t *testing.T) {
	// Never rotated: only AWSCURRENT.
	stage := newStage(t)
	arn := createSecret(t, stage)
	r := run(t, "revoke\n", "revoke-previous", "--stage", stage)
	wantCode(t, r, ExitRefused)
	wantContains(t, "revoke-previous", r.stderr, "refused: nothing to revoke: no version of "+stage+"-auris-jwt-secret (region us-east-1) carries AWSPREVIOUS")
	if strings.Contains(r.stderr, "confirm") {
		t.Fatal("prompted although there is nothing to revoke")
	}
	if _, ok := labels(t, arn)[StageCurrent]; !ok {
		t.Fatal("AWSCURRENT is gone")
	}

	// Already revoked: the second revocation refuses too, with --yes.
	stage = newStage(t)
	deployed(t, stage)
	wantCode(t, run(t, "", "revoke-previous", "--stage", stage, "--yes"), ExitOK)
	again := run(t, "", "revoke-previous", "--stage", stage, "--yes")
	wantCode(t, again, ExitRefused)
	wantContains(t, "revoke-previous", again.stderr, "nothing to revoke")
}

// TestRevokeDuringRotation: the grace key can be revoked while a rotation
// is pending; the rotation then finishes normally with the current key as
// the new grace key, never the revoked one.
func TestRevokeDuringRotation(t *testing.T) {
	stage := newStage(t)
	arn, current, previous := deployed(t, stage)
	token := startRotation(t, arn)
	r := run(t, "", "revoke-previous", "--stage", stage, "--yes")
	wantCode(t, r, ExitOK)
	wantContains(t, "revoke-previous", r.stdout, "Removed AWSPREVIOUS from version "+previous, "version "+token+" is AWSPENDING")
	finishRotation(t, arn, token)
	if l := labels(t, arn); l[StageCurrent] != token || l[StagePrevious] != current {
		t.Fatalf("labels %v after the rotation, want AWSCURRENT %s AWSPREVIOUS %s", l, token, current)
	}
}
