package ops

// The tests run the whole command in-process (Run's internals, with the
// real SDK client) against Secrets Manager served by moto. moto's
// RotateSecret only creates the AWSPENDING placeholder (it cannot run a
// Lambda here); a rotation is finished, as the deployed function would
// finish it, by running this project's rotation protocol in-process.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/auris/jwtsecret/internal/localaws"
	"github.com/auris/jwtsecret/naming"
	"github.com/auris/jwtsecret/rotation"
)

// env is shared by every test: one moto and the rotation function it
// knows (registered so that RotateSecret accepts its ARN).
var env struct {
	moto      *localaws.Moto
	sm        *secretsmanager.Client
	lambdaARN string
}

func TestMain(m *testing.M) {
	// Region resolution reads these; a developer's or CI's settings must
	// not leak into the tests, which set them where they matter.
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		os.Unsetenv(k)
	}
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration setup failed:", err)
		code = 1
	}
	if env.moto != nil {
		env.moto.Close()
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	ctx := context.Background()
	var err error
	if env.moto, err = localaws.StartMoto(ctx); err != nil {
		return 0, err
	}
	env.sm = secretsmanager.NewFromConfig(env.moto.Config())
	// RotateSecret needs a function that exists; its code never runs.
	if env.lambdaARN, err = env.moto.RegisterPlaceholderFunction(ctx, naming.RotationFunctionName("ops-test")); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

var stageCount atomic.Int32

// newStage returns a stage no other test uses, so that tests need no reset.
func newStage(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("ops%d", stageCount.Add(1))
}

// createSecret creates the stage's secret with a well-formed value, as the
// Pulumi program's first deployment does before rotation is configured.
func createSecret(t *testing.T, stage string) string {
	t.Helper()
	value, err := rotation.GenerateValue(64)
	if err != nil {
		t.Fatal(err)
	}
	out, err := env.sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(naming.SecretName(stage)), SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

// startRotation configures rotation as the program's SecretRotation does
// (every 180 days, rotating immediately) and returns the token of the
// AWSPENDING placeholder; the rotation is not finished.
func startRotation(t *testing.T, arn string) string {
	t.Helper()
	out, err := env.sm.RotateSecret(context.Background(), &secretsmanager.RotateSecretInput{
		SecretId:          aws.String(arn),
		RotationLambdaARN: aws.String(env.lambdaARN),
		RotationRules:     &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(180)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.VersionId)
}

// finishRotation does what the deployed rotation function does when
// Secrets Manager invokes it: the four steps with token.
func finishRotation(t *testing.T, arn, token string) {
	t.Helper()
	r, err := rotation.New(env.sm, 64, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range rotation.Steps {
		if err := r.Run(context.Background(), rotation.Event{Step: step, SecretID: arn, ClientRequestToken: token}); err != nil {
			t.Fatalf("rotation %s, %s: %v", token, step, err)
		}
	}
}

// deployed is a stage as `pulumi up` leaves it: the secret, rotation every
// 180 days, and the immediate first rotation finished, so AWSPREVIOUS is
// the program's generated value. It returns the ARN and the version ids
// of AWSCURRENT and AWSPREVIOUS.
func deployed(t *testing.T, stage string) (arn, current, previous string) {
	t.Helper()
	arn = createSecret(t, stage)
	first := labels(t, arn)[StageCurrent]
	token := startRotation(t, arn)
	finishRotation(t, arn, token)
	l := labels(t, arn)
	if l[StageCurrent] != token || l[StagePrevious] != first || l[StagePending] != "" {
		t.Fatalf("setup: labels %v after the first rotation, want AWSCURRENT %s and AWSPREVIOUS %s", l, token, first)
	}
	return arn, token, first
}

// labels maps each staging label to the version carrying it, as AWS
// reports it.
func labels(t *testing.T, arn string) map[string]string {
	t.Helper()
	l, err := localaws.Labels(context.Background(), env.sm, arn)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
	// rotates are the RotateSecret calls the command made; regions the
	// regions it asked a client for.
	rotates []secretsmanager.RotateSecretInput
	regions []string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs the command against moto now.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runAt(t, time.Now(), stdin, args...)
}

// runAt runs the command against moto with the clock at now.
func runAt(t *testing.T, now time.Time, stdin string, args ...string) result {
	t.Helper()
	var res result
	return runWith(t, now, stdin, func(_ context.Context, region string) (Client, error) {
		res.regions = append(res.regions, region)
		cfg := env.moto.Config()
		cfg.Region = region
		return &motoClient{Client: secretsmanager.NewFromConfig(cfg), rotates: &res.rotates}, nil
	}, &res, args...)
}

func runWith(t *testing.T, now time.Time, stdin string, newClient NewClientFunc, res *result, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, newClient: newClient, now: func() time.Time { return now }}
	res.code = a.run(context.Background(), args)
	res.stdout, res.stderr = stdout.String(), stderr.String()
	return *res
}

// motoClient is the SDK client on moto, recording RotateSecret calls.
type motoClient struct {
	*secretsmanager.Client
	rotates *[]secretsmanager.RotateSecretInput
}

// RotateSecret records the call, then makes moto do what AWS does with it.
// Given only a SecretId, AWS rotates with the configured Lambda; moto
// instead forgets the Lambda and labels the empty placeholder AWSCURRENT
// (moto bug 3 in the local-AWS notes). So the configured ARN is passed on
// to moto here: the command's own call is recorded as it was made and the
// tests check it.
func (c *motoClient) RotateSecret(ctx context.Context, in *secretsmanager.RotateSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.RotateSecretOutput, error) {
	*c.rotates = append(*c.rotates, *in)
	if in.RotationLambdaARN == nil {
		d, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: in.SecretId})
		if err != nil {
			return nil, err
		}
		fwd := *in
		fwd.RotationLambdaARN = d.RotationLambdaARN
		in = &fwd
	}
	return c.Client.RotateSecret(ctx, in, opts...)
}

// assertNoValues fails if any value any version of the secret holds
// appears in what the command printed.
func assertNoValues(t *testing.T, arn string, results ...result) {
	t.Helper()
	values, err := localaws.Values(context.Background(), env.sm, arn)
	if err != nil {
		t.Fatal(err)
	}
	if len(values) == 0 {
		t.Fatal("no value was checked")
	}
	for id, v := range values {
		for _, r := range results {
			if strings.Contains(r.stdout+r.stderr, v) {
				t.Fatalf("the output contains the value of version %s", id)
			}
		}
	}
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got %s", code, r)
	}
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}
