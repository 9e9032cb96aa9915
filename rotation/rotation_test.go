package rotation

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func TestFullRotation(t *testing.T) {
	ctx := context.Background()
	f := newFake(oldValue)
	c := record(f)
	r, logs := newTestRotator(t, c, 64)
	if err := f.startRotation(token(1)); err != nil {
		t.Fatal(err)
	}
	if err := rotateAll(ctx, r, token(1)); err != nil {
		t.Fatal(err)
	}
	assertRotated(t, f, token(1), initialVersion, oldValue, 64)
	assertNoValueIn(t, f, "log", logs.String())
	for _, want := range []string{`"step":"createSecret"`, `"step":"finishSecret"`, `"secretArn":"` + fakeARN + `"`, `"token":"` + token(1) + `"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s", want)
		}
	}
}

// TestCallsPerRotation pins the number of Secrets Manager calls of a full
// rotation (AWS's template makes 11): one DescribeSecret per step, one read
// and one write in createSecret, one read in testSecret and two label moves
// in finishSecret.
func TestCallsPerRotation(t *testing.T) {
	f := newFake(oldValue)
	c := record(f)
	r, _ := newTestRotator(t, c, 64)
	if err := f.startRotation(token(1)); err != nil {
		t.Fatal(err)
	}
	if err := rotateAll(context.Background(), r, token(1)); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, cl := range c.calls {
		ops = append(ops, cl.op)
	}
	want := []string{
		"DescribeSecret", "GetSecretValue", "PutSecretValue", // createSecret
		"DescribeSecret",                   // setSecret
		"DescribeSecret", "GetSecretValue", // testSecret
		"DescribeSecret", "UpdateSecretVersionStage", "UpdateSecretVersionStage", // finishSecret
	}
	if !slices.Equal(ops, want) {
		t.Fatalf("calls:\n got %v\nwant %v", ops, want)
	}
}

func TestCreateSecret(t *testing.T) {
	ctx := context.Background()
	f := newFake(oldValue)
	c := record(f)
	r, _ := newTestRotator(t, c, 40)
	if err := f.startRotation(token(1)); err != nil {
		t.Fatal(err)
	}
	ev := Event{Step: CreateSecret, SecretID: fakeARN, ClientRequestToken: token(1)}
	if err := r.Run(ctx, ev); err != nil {
		t.Fatal(err)
	}
	_, values := f.snapshot()
	first := values[token(1)]
	if err := ValidateValue(first, 40); err != nil {
		t.Fatalf("created value: %v", err)
	}
	if got := f.labelHolders()[StagePending]; !slices.Equal(got, []string{token(1)}) {
		t.Fatalf("AWSPENDING on %v", got)
	}
	if got := f.labelHolders()[StageCurrent]; !slices.Equal(got, []string{initialVersion}) {
		t.Fatalf("createSecret moved AWSCURRENT to %v", got)
	}

	c.reset()
	if err := r.Run(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if w := c.writes(); len(w) != 0 {
		t.Fatalf("second createSecret wrote %v", w)
	}
	if _, values := f.snapshot(); values[token(1)] != first {
		t.Fatal("second createSecret replaced the pending value")
	}
}

func TestSetSecretWritesNothing(t *testing.T) {
	f := newFake(oldValue)
	c := record(f)
	r, _ := newTestRotator(t, c, 64)
	if err := f.startRotation(token(1)); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), Event{Step: SetSecret, SecretID: fakeARN, ClientRequestToken: token(1)}); err != nil {
		t.Fatal(err)
	}
	if w := c.writes(); len(w) != 0 {
		t.Fatalf("setSecret wrote %v", w)
	}
}

// TestValidationRun models enabling rotation without rotating immediately:
// AWS stages a copy of the current value as AWSPENDING, runs testSecret
// alone and removes the label again.
func TestValidationRun(t *testing.T) {
	f := newFake(oldValue)
	c := record(f)
	r, _ := newTestRotator(t, c, 64)
	f.stagePendingCopy(token(7))
	if err := r.Run(context.Background(), Event{Step: TestSecret, SecretID: fakeARN, ClientRequestToken: token(7)}); err != nil {
		t.Fatalf("testSecret on the validation run: %v", err)
	}
	if w := c.writes(); len(w) != 0 {
		t.Fatalf("testSecret wrote %v", w)
	}
}

func TestFinishAfterLostResponse(t *testing.T) {
	ctx := context.Background()
	f := newFake(oldValue)
	r, _ := newTestRotator(t, f, 64)
	if err := f.startRotation(token(1)); err != nil {
		t.Fatal(err)
	}
	for _, s := range Steps[:3] {
		if err := r.Run(ctx, Event{Step: s, SecretID: fakeARN, ClientRequestToken: token(1)}); err != nil {
			t.Fatal(err)
		}
	}
	// The first label move of finishSecret took effect but its caller died.
	if _, err := f.UpdateSecretVersionStage(ctx, updateStage(StageCurrent, token(1), initialVersion)); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(ctx, Event{Step: FinishSecret, SecretID: fakeARN, ClientRequestToken: token(1)}); err != nil {
		t.Fatal(err)
	}
	assertRotated(t, f, token(1), initialVersion, oldValue, 64)
}

// TestRefusals covers every state in which a step must fail without writing.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name  string
		steps []Step
		setup func(f *fakeSecretsManager) // the rotating token is token(1)
		want  error
		// notFound: the error wraps a ResourceNotFoundException instead of want.
		notFound bool
	}{
		{
			name:  "rotation disabled",
			steps: Steps,
			setup: func(f *fakeSecretsManager) {
				must(f.startRotation(token(1)))
				f.rotationEnabled = false
			},
			want: ErrRotationDisabled,
		},
		{
			name:  "unknown token",
			steps: Steps,
			setup: func(f *fakeSecretsManager) { must(f.startRotation(token(2))) },
			want:  ErrUnknownVersion,
		},
		{
			name:  "token is AWSPREVIOUS",
			steps: Steps,
			setup: func(f *fakeSecretsManager) {
				f.rotationEnabled = true
				for i, v := range []string{strings.Repeat("b", 64), strings.Repeat("c", 64)} {
					_, err := f.PutSecretValue(context.Background(), putValue(token(i+1), v, nil))
					must(err)
				}
			},
			want: ErrNotPending,
		},
		{
			name:  "token lost AWSPENDING to another rotation",
			steps: Steps,
			setup: func(f *fakeSecretsManager) {
				must(f.startRotation(token(1)))
				f.stagePendingCopy(token(2))
			},
			want: ErrUnknownVersion, // a version without labels is not listed
		},
		{
			name:  "pending value too short",
			steps: []Step{TestSecret},
			setup: func(f *fakeSecretsManager) {
				must(f.startRotation(token(1)))
				_, err := f.PutSecretValue(context.Background(), putValue(token(1), "TooShortButValidLetters123", []string{StagePending}))
				must(err)
			},
			want: ErrMalformedValue,
		},
		{
			name:  "pending value outside the alphabet",
			steps: []Step{TestSecret},
			setup: func(f *fakeSecretsManager) {
				must(f.startRotation(token(1)))
				_, err := f.PutSecretValue(context.Background(), putValue(token(1), strings.Repeat("a", 63)+"!", []string{StagePending}))
				must(err)
			},
			want: ErrMalformedValue,
		},
		{
			name:     "pending placeholder has no value",
			steps:    []Step{TestSecret},
			setup:    func(f *fakeSecretsManager) { must(f.startRotation(token(1))) },
			notFound: true,
		},
		{
			name:  "secret does not exist",
			steps: Steps,
			setup: func(f *fakeSecretsManager) {
				must(f.startRotation(token(1)))
				f.arn, f.name = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf", "other"
			},
			notFound: true,
		},
	}
	for _, tt := range tests {
		for _, step := range tt.steps {
			t.Run(tt.name+"/"+string(step), func(t *testing.T) {
				f := newFake(oldValue)
				tt.setup(f)
				before, beforeValues := f.snapshot()
				c := record(f)
				r, logs := newTestRotator(t, c, 64)
				err := r.Run(context.Background(), Event{Step: step, SecretID: fakeARN, ClientRequestToken: token(1)})
				if tt.notFound {
					var nf *types.ResourceNotFoundException
					if !errors.As(err, &nf) {
						t.Fatalf("error %v, want ResourceNotFoundException", err)
					}
				} else if !errors.Is(err, tt.want) {
					t.Fatalf("error %v, want %v", err, tt.want)
				}
				if !strings.Contains(err.Error(), fakeARN) {
					t.Errorf("error %q does not name the secret", err)
				}
				if !tt.notFound && !strings.Contains(err.Error(), token(1)) {
					t.Errorf("error %q does not name the token", err)
				}
				if w := c.writes(); len(w) != 0 {
					t.Fatalf("refused step wrote %v", w)
				}
				after, afterValues := f.snapshot()
				if !equalState(before, after) || !equalValues(beforeValues, afterValues) {
					t.Fatal("refused step changed the secret")
				}
				assertNoValueIn(t, f, "error", err.Error())
				assertNoValueIn(t, f, "log", logs.String())
			})
		}
	}
}

// TestAlreadyCurrentIsNoop: once the token is AWSCURRENT every step succeeds
// without writing (a duplicate invocation after the rotation finished).
func TestAlreadyCurrentIsNoop(t *testing.T) {
	ctx := context.Background()
	f := newFake(oldValue)
	r, _ := newTestRotator(t, f, 64)
	must(f.startRotation(token(1)))
	if err := rotateAll(ctx, r, token(1)); err != nil {
		t.Fatal(err)
	}
	c := record(f)
	r2, _ := newTestRotator(t, c, 64)
	for _, s := range Steps {
		if err := r2.Run(ctx, Event{Step: s, SecretID: fakeARN, ClientRequestToken: token(1)}); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if w := c.writes(); len(w) != 0 {
		t.Fatalf("steps on a finished rotation wrote %v", w)
	}
	assertRotated(t, f, token(1), initialVersion, oldValue, 64)
}

func TestHandleMalformedEvent(t *testing.T) {
	f := newFake(oldValue)
	c := record(f)
	r, logs := newTestRotator(t, c, 64)
	err := r.Handle(context.Background(), []byte(`{"Step":"createSecret","SecretId":42,"ClientRequestToken":"x"}`))
	if !errors.Is(err, ErrMalformedEvent) {
		t.Fatalf("error %v, want ErrMalformedEvent", err)
	}
	if len(c.calls) != 0 {
		t.Fatalf("malformed event made calls %v", c.calls)
	}
	if !strings.Contains(logs.String(), "rejected event") {
		t.Error("rejection not logged")
	}
}

func TestNewRejectsLength(t *testing.T) {
	for _, n := range []int{0, 31, 4097} {
		if _, err := New(newFake(oldValue), n, nil); err == nil {
			t.Errorf("New with length %d: no error", n)
		}
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func putValue(tok, value string, stages []string) *secretsmanager.PutSecretValueInput {
	return &secretsmanager.PutSecretValueInput{SecretId: aws.String(fakeARN), ClientRequestToken: aws.String(tok), SecretString: aws.String(value), VersionStages: stages}
}

func updateStage(stage, moveTo, removeFrom string) *secretsmanager.UpdateSecretVersionStageInput {
	return &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(fakeARN), VersionStage: aws.String(stage), MoveToVersionId: aws.String(moveTo), RemoveFromVersionId: aws.String(removeFrom)}
}

func equalState(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func equalValues(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
