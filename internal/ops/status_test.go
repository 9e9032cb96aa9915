package ops

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/auris/jwtsecret/naming"
)

// decodeStatus parses `status --json` output strictly: every key must be a
// documented field.
func decodeStatus(t *testing.T, r result) Status {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	var s Status
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r)
	}
	return s
}

// wantTime checks that a status time is RFC 3339 in UTC.
func wantTime(t *testing.T, field, v string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, v)
	if err != nil || !strings.HasSuffix(v, "Z") {
		t.Fatalf("%s = %q, want an RFC 3339 UTC time", field, v)
	}
	return at
}

// versionsByLabel maps each label in a status to its version id.
func versionsByLabel(t *testing.T, s Status) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, v := range s.Versions {
		if len(v.Stages) == 0 {
			t.Fatalf("version %s listed without a label", v.VersionID)
		}
		wantTime(t, "created of "+v.VersionID, v.Created)
		for _, l := range v.Stages {
			if m[l] != "" {
				t.Fatalf("label %s on two versions", l)
			}
			m[l] = v.VersionID
		}
	}
	return m
}

func TestStatusRotationNotConfigured(t *testing.T) {
	stage := newStage(t)
	arn := createSecret(t, stage)
	first := labels(t, arn)[StageCurrent]

	r := run(t, "", "status", "--stage", stage, "--json")
	wantCode(t, r, ExitUnhealthy)
	s := decodeStatus(t, r)
	if s.Secret != naming.SecretName(stage) || s.ARN != arn || s.Region != DefaultRegion || s.Stage != stage {
		t.Fatalf("identity %q %q %q %q", s.Secret, s.ARN, s.Region, s.Stage)
	}
	if s.RotationEnabled || s.RotationLambdaARN != "" || s.LastRotated != "" || s.Pending != nil || s.Healthy {
		t.Fatalf("status of a secret without rotation: %+v", s)
	}
	if !slices.Equal(s.Problems, []string{"rotation is not enabled"}) {
		t.Fatalf("problems %q", s.Problems)
	}
	if got := versionsByLabel(t, s); len(got) != 1 || got[StageCurrent] != first {
		t.Fatalf("versions %v, want only AWSCURRENT on %s", got, first)
	}

	text := run(t, "", "status", "--stage", stage)
	wantCode(t, text, ExitUnhealthy)
	wantContains(t, "status", text.stdout, "rotation:         DISABLED", "last rotated:     never", "health:           UNHEALTHY", "- rotation is not enabled", first+"  AWSCURRENT")
	assertNoValues(t, arn, r, text)
}

// TestStatusThroughRotations follows a stage from its deployment through a
// rotation started by `rotate`, in flight and finished.
func TestStatusThroughRotations(t *testing.T) {
	stage := newStage(t)
	arn, current, previous := deployed(t, stage)
	start := time.Now().Add(-time.Minute)

	r1 := run(t, "", "status", "--stage", stage, "--json")
	wantCode(t, r1, ExitOK)
	s := decodeStatus(t, r1)
	if !s.Healthy || len(s.Problems) != 0 || s.Pending != nil {
		t.Fatalf("a deployed stage is unhealthy: %+v", s)
	}
	if !s.RotationEnabled || s.RotationLambdaARN != env.lambdaARN || s.Schedule != (Schedule{AutomaticallyAfterDays: 180}) {
		t.Fatalf("rotation config %v %q %+v", s.RotationEnabled, s.RotationLambdaARN, s.Schedule)
	}
	if last := wantTime(t, "lastRotated", s.LastRotated); last.Before(start.Truncate(time.Second)) {
		t.Fatalf("lastRotated %s is before the test started", s.LastRotated)
	}
	if next := wantTime(t, "nextRotation", s.NextRotation); next.Sub(start) < 179*24*time.Hour {
		t.Fatalf("nextRotation %s is not 180 days out", s.NextRotation)
	}
	if got := versionsByLabel(t, s); len(got) != 2 || got[StageCurrent] != current || got[StagePrevious] != previous {
		t.Fatalf("versions %v, want AWSCURRENT %s and AWSPREVIOUS %s", got, current, previous)
	}
	if s.Versions[0].VersionID != current {
		t.Fatalf("AWSCURRENT is not listed first: %+v", s.Versions)
	}

	text := run(t, "", "status", "--stage", stage)
	wantCode(t, text, ExitOK)
	wantContains(t, "status", text.stdout,
		"secret:           "+naming.SecretName(stage)+"\n",
		"rotation:         enabled, every 180 days\n",
		"rotation lambda:  "+env.lambdaARN+"\n",
		"pending:          none\n",
		"health:           OK\n",
		"VERSION", current+"  AWSCURRENT", previous+"  AWSPREVIOUS")

	// A rotation in flight is not a problem.
	rot := run(t, "", "rotate", "--stage", stage)
	wantCode(t, rot, ExitOK)
	token := labels(t, arn)[StagePending]
	r2 := run(t, "", "status", "--stage", stage, "--json")
	wantCode(t, r2, ExitOK)
	s = decodeStatus(t, r2)
	if s.Pending == nil || s.Pending.VersionID != token || s.Pending.State != PendingInProgress || !s.Healthy {
		t.Fatalf("during a rotation: pending %+v healthy %v", s.Pending, s.Healthy)
	}
	wantTime(t, "pending.created", s.Pending.Created)
	if got := versionsByLabel(t, s); got[StagePending] != token || got[StageCurrent] != current {
		t.Fatalf("versions during a rotation: %v", got)
	}
	text = run(t, "", "status", "--stage", stage)
	wantContains(t, "status", text.stdout, "pending:          rotation in progress: version "+token)

	finishRotation(t, arn, token)
	r3 := run(t, "", "status", "--stage", stage, "--json")
	wantCode(t, r3, ExitOK)
	s = decodeStatus(t, r3)
	if got := versionsByLabel(t, s); len(got) != 2 || got[StageCurrent] != token || got[StagePrevious] != current {
		t.Fatalf("versions after the rotation %v, want AWSCURRENT %s, AWSPREVIOUS %s and the first version gone", got, token, current)
	}
	if s.Pending != nil || !s.Healthy {
		t.Fatalf("after the rotation: pending %+v healthy %v", s.Pending, s.Healthy)
	}
	assertNoValues(t, arn, r1, text, rot, r2, r3)
}

func TestStatusStuckPending(t *testing.T) {
	stage := newStage(t)
	arn, current, _ := deployed(t, stage)
	token := startRotation(t, arn) // never finished

	// moto dates every version with the time of the request, so the
	// rotation is aged by looking at it from later.
	later := time.Now().Add(PendingGrace + time.Minute)
	r := runAt(t, later, "", "status", "--stage", stage, "--json")
	wantCode(t, r, ExitUnhealthy)
	s := decodeStatus(t, r)
	if s.Healthy || s.Pending == nil || s.Pending.VersionID != token || s.Pending.State != PendingStuck {
		t.Fatalf("stuck rotation: healthy %v pending %+v", s.Healthy, s.Pending)
	}
	wantTime(t, "pending.created", s.Pending.Created)
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "a rotation did not finish: version "+token+" has been AWSPENDING since "+s.Pending.Created) {
		t.Fatalf("problems %q", s.Problems)
	}
	if got := versionsByLabel(t, s); got[StageCurrent] != current || got[StagePending] != token {
		t.Fatalf("versions %v", got)
	}

	text := runAt(t, later, "", "status", "--stage", stage)
	wantCode(t, text, ExitUnhealthy)
	wantContains(t, "status", text.stdout,
		"pending:          STUCK: version "+token+" has been AWSPENDING since",
		"health:           UNHEALTHY",
		"log group /aws/lambda/"+naming.RotationFunctionName("ops-test"),
		"aws secretsmanager update-secret-version-stage --region us-east-1 --secret-id "+arn+" --version-stage AWSPENDING --remove-from-version-id "+token,
		"jwtsecretctl rotate --stage "+stage+" --region us-east-1")

	// Just before the grace period ends it is still a rotation in flight.
	early := runAt(t, time.Now().Add(PendingGrace-time.Minute), "", "status", "--stage", stage, "--json")
	wantCode(t, early, ExitOK)
	if p := decodeStatus(t, early).Pending; p == nil || p.State != PendingInProgress {
		t.Fatalf("pending %+v before the grace period ended", p)
	}

	// The documented way out: remove the label, and the stage is healthy
	// again.
	if _, err := env.sm.UpdateSecretVersionStage(context.Background(), &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(arn), VersionStage: aws.String(StagePending), RemoveFromVersionId: aws.String(token)}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, runAt(t, later, "", "status", "--stage", stage), ExitOK)
	assertNoValues(t, arn, r, text)
}

// TestStatusBySecretID: a name or an ARN instead of a stage. An ARN's
// region wins over AWS_REGION, which would otherwise send the call to the
// wrong region.
func TestStatusBySecretID(t *testing.T) {
	stage := newStage(t)
	arn, _, _ := deployed(t, stage)

	byName := run(t, "", "status", "--secret-id", naming.SecretName(stage), "--json")
	wantCode(t, byName, ExitOK)
	if s := decodeStatus(t, byName); s.ARN != arn || s.Stage != "" {
		t.Fatalf("by name: arn %q stage %q", s.ARN, s.Stage)
	}

	t.Setenv("AWS_REGION", "eu-west-1")
	byARN := run(t, "", "status", "--secret-id", arn, "--json")
	wantCode(t, byARN, ExitOK)
	if s := decodeStatus(t, byARN); s.ARN != arn || s.Region != "us-east-1" || !slices.Equal(byARN.regions, []string{"us-east-1"}) {
		t.Fatalf("by ARN: arn %q region %q, clients for %v", s.ARN, s.Region, byARN.regions)
	}
	// Text output suggests commands that name the secret the same way.
	text := run(t, "", "status", "--secret-id", arn)
	wantCode(t, text, ExitOK)
	wantContains(t, "status", text.stdout, "region:           us-east-1\n")
}

func TestStatusScheduledForDeletion(t *testing.T) {
	stage := newStage(t)
	arn, _, _ := deployed(t, stage)
	if _, err := env.sm.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{
		SecretId: aws.String(arn), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "status", "--stage", stage, "--json")
	wantCode(t, r, ExitUnhealthy)
	s := decodeStatus(t, r)
	wantTime(t, "deletionScheduled", s.DeletionScheduled)
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "scheduled for deletion") || !strings.Contains(s.Problems[0], "restore-secret") {
		t.Fatalf("problems %q", s.Problems)
	}
	rot := run(t, "", "rotate", "--stage", stage)
	wantCode(t, rot, ExitRefused)
	wantContains(t, "rotate", rot.stderr, "scheduled for deletion", "restore-secret")
	if len(rot.rotates) != 0 {
		t.Fatalf("rotate called RotateSecret on a deleted secret: %+v", rot.rotates)
	}
}

// TestStatusPendingOnCurrent: AWS's rotation template finishes by moving
// AWSCURRENT and leaves AWSPENDING on the new current version; AWS treats
// that as a finished rotation, and so must status.
func TestStatusPendingOnCurrent(t *testing.T) {
	stage := newStage(t)
	arn, current, _ := deployed(t, stage)
	if _, err := env.sm.UpdateSecretVersionStage(context.Background(), &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(arn), VersionStage: aws.String(StagePending), MoveToVersionId: aws.String(current)}); err != nil {
		t.Fatal(err)
	}
	r := runAt(t, time.Now().Add(PendingGrace+time.Hour), "", "status", "--stage", stage, "--json")
	wantCode(t, r, ExitOK)
	s := decodeStatus(t, r)
	if s.Pending != nil || !s.Healthy {
		t.Fatalf("pending %+v healthy %v with AWSPENDING on the current version", s.Pending, s.Healthy)
	}
	if s.Versions[0].VersionID != current || !slices.Equal(s.Versions[0].Stages, []string{StageCurrent, StagePending}) {
		t.Fatalf("first version %+v, want %s with AWSCURRENT,AWSPENDING", s.Versions[0], current)
	}
}
