package jwtkeys

// Shared test machinery: moto (started on first use, once per package, and
// stopped by TestMain), Secrets Manager clients that count their calls, real
// rotations run by the project's rotation code, and a settable clock.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/golang-jwt/jwt/v5"

	"github.com/auris/jwtsecret/internal/localaws"
	"github.com/auris/jwtsecret/rotation"
)

var env struct {
	once      sync.Once
	err       error
	moto      *localaws.Moto
	sm        *secretsmanager.Client // uncounted: test setup and rotations
	lambdaARN string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if env.moto != nil {
		env.moto.Close()
	}
	os.Exit(code)
}

// moto starts moto on first use. A missing moto fails the test, with the
// message saying how to get it: it is never a skip.
func moto(t testing.TB) *localaws.Moto {
	t.Helper()
	env.once.Do(func() {
		ctx := context.Background()
		if env.moto, env.err = localaws.StartMoto(ctx); env.err != nil {
			return
		}
		env.sm = secretsmanager.NewFromConfig(env.moto.Config())
		env.lambdaARN, env.err = env.moto.RegisterPlaceholderFunction(ctx, "test-auris-jwt-rotation")
	})
	if env.err != nil {
		t.Fatalf("moto: %v", env.err)
	}
	return env.moto
}

// callLog counts the Secrets Manager operations of one client, through SDK
// middleware at the Initialize step (once per operation, before retries),
// and can make them fail.
type callLog struct {
	mu    sync.Mutex
	calls []string // "GetSecretValue AWSCURRENT", ...
	fail  error
}

var errInjected = errors.New("injected failure: Secrets Manager unreachable")

func (l *callLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

func (l *callLog) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls[n:])
}

func (l *callLog) setFail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = err
}

// countedClient is a Secrets Manager client on moto whose calls go to log.
func countedClient(t testing.TB) (*secretsmanager.Client, *callLog) {
	t.Helper()
	log := &callLog{}
	mw := middleware.InitializeMiddlewareFunc("countCalls", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		call := middleware.GetOperationName(ctx)
		if g, ok := in.Parameters.(*secretsmanager.GetSecretValueInput); ok {
			call += " " + aws.ToString(g.VersionStage)
		}
		log.mu.Lock()
		log.calls = append(log.calls, call)
		fail := log.fail
		log.mu.Unlock()
		if fail != nil {
			return middleware.InitializeOutput{}, middleware.Metadata{}, fail
		}
		return next.HandleInitialize(ctx, in)
	})
	c := secretsmanager.NewFromConfig(moto(t).Config(), func(o *secretsmanager.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(mw, middleware.Before)
		})
	})
	return c, log
}

// oneFetch is what a refresh of the cache reads.
var oneFetch = []string{"GetSecretValue " + StageCurrent, "GetSecretValue " + StagePrevious}

func assertCalls(t *testing.T, log *callLog, from int, want []string, when string) {
	t.Helper()
	if got := log.since(from); !slices.Equal(got, want) {
		t.Fatalf("%s: Secrets Manager calls %q, want %q", when, got, want)
	}
}

// secret is a secret in moto, created as the Pulumi program creates it.
type secret struct {
	arn     string
	initial string // VersionId of the first value
}

var secretSeq atomic.Int64

func newSecret(t *testing.T) secret {
	t.Helper()
	moto(t)
	value, err := rotation.GenerateValue(64)
	if err != nil {
		t.Fatal(err)
	}
	// Numbered, so that -count=N runs against the same moto.
	name := fmt.Sprintf("%s-%d-auris-jwt-secret", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), secretSeq.Add(1))
	out, err := env.sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatal(err)
	}
	return secret{arn: aws.ToString(out.ARN), initial: aws.ToString(out.VersionId)}
}

// rotate performs a real rotation: RotateSecret on moto creates the
// AWSPENDING placeholder and the token (moto cannot run the function), then
// the project's rotation code runs the four steps in-process, as the
// rotation Lambda does. It returns the new AWSCURRENT version id.
func rotate(t testing.TB, s secret) string {
	t.Helper()
	ctx := context.Background()
	before := labels(t, s.arn)
	out, err := env.sm.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId:          aws.String(s.arn),
		RotationLambdaARN: aws.String(env.lambdaARN), // always: moto bug 3
		RotationRules:     &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(180)},
		RotateImmediately: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	token := aws.ToString(out.VersionId)
	r, err := rotation.New(env.sm, 64, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range rotation.Steps {
		if err := r.Run(ctx, rotation.Event{Step: step, SecretID: s.arn, ClientRequestToken: token}); err != nil {
			t.Fatalf("rotation step %s: %v", step, err)
		}
	}
	after := labels(t, s.arn)
	if after[StageCurrent] != token || after[StagePrevious] != before[StageCurrent] {
		t.Fatalf("after the rotation the labels are %v, want AWSCURRENT on %s and AWSPREVIOUS on %s", after, token, before[StageCurrent])
	}
	return token
}

// regenerate stores a new value with no stages, which makes it AWSCURRENT
// and the old current AWSPREVIOUS; it returns the new version id.
func regenerate(t *testing.T, s secret) string {
	t.Helper()
	value, err := rotation.GenerateValue(64)
	if err != nil {
		t.Fatal(err)
	}
	out, err := env.sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(s.arn), SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.VersionId)
}

// removePrevious takes AWSPREVIOUS off its version, the second half of an
// emergency invalidation.
func removePrevious(t *testing.T, s secret) {
	t.Helper()
	prev := labels(t, s.arn)[StagePrevious]
	if prev == "" {
		t.Fatal("no AWSPREVIOUS version to remove the label from")
	}
	_, err := env.sm.UpdateSecretVersionStage(context.Background(), &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(s.arn), VersionStage: aws.String(StagePrevious), RemoveFromVersionId: aws.String(prev),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(t, s.arn)[StagePrevious]; got != "" {
		t.Fatalf("AWSPREVIOUS still on %s", got)
	}
}

// labels maps each staging label of the secret to its version id.
func labels(t testing.TB, arn string) map[string]string {
	t.Helper()
	l, err := localaws.Labels(context.Background(), env.sm, arn)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// clock is a settable clock for WithClock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Test tokens: issuer auris, audience app, 24 hours by the test clock.
const (
	testIssuer   = "auris"
	testAudience = "app"
)

func claimsAt(sub string, now time.Time) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{
		Issuer:    testIssuer,
		Subject:   sub,
		Audience:  jwt.ClaimStrings{testAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(24 * time.Hour)),
	}
}

// newKeys makes Keys on the clock with the test issuer and audience.
func newKeys(t testing.TB, c Client, secretID string, clk *clock, opts ...Option) *Keys {
	t.Helper()
	opts = append([]Option{
		WithClock(clk.Now),
		// Explicit: the default depends on AWS_LAMBDA_FUNCTION_NAME.
		WithStaleWhileRevalidate(DefaultStaleWhileRevalidate),
		WithParserOptions(jwt.WithIssuer(testIssuer), jwt.WithAudience(testAudience)),
	}, opts...)
	k, err := New(c, secretID, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSign(t testing.TB, k *Keys, sub string, now time.Time) string {
	t.Helper()
	tok, err := k.Sign(context.Background(), claimsAt(sub, now))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

// verifies checks that k accepts token for sub.
func verifies(t testing.TB, k *Keys, token, sub, when string) {
	t.Helper()
	var c jwt.RegisteredClaims
	if _, err := k.Verify(context.Background(), token, &c); err != nil {
		t.Fatalf("%s: Verify: %v", when, err)
	}
	if c.Subject != sub {
		t.Fatalf("%s: subject %q, want %q", when, c.Subject, sub)
	}
}

// rejects checks that k rejects token with an error matching all of want.
func rejects(t testing.TB, k *Keys, token, when string, want ...error) error {
	t.Helper()
	_, err := k.Verify(context.Background(), token, &jwt.RegisteredClaims{})
	if err == nil {
		t.Fatalf("%s: Verify accepted the token", when)
	}
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Fatalf("%s: Verify error %q does not match %q", when, err, w)
		}
	}
	return err
}

// kidOf is the kid header of a token, read without verifying it.
func kidOf(t testing.TB, token string) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, &jwt.RegisteredClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

// waitBackground waits for the background refreshes k started.
func waitBackground(k *Keys) { k.bg.Wait() }

// valueOf reads the value of a version, to check that errors never carry it.
func valueOf(t testing.TB, arn, versionID string) string {
	t.Helper()
	out, err := env.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(arn), VersionId: aws.String(versionID),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.SecretString)
}

func assertNoSecret(t testing.TB, err error, values ...string) {
	t.Helper()
	for _, v := range values {
		if err != nil && strings.Contains(err.Error(), v) {
			t.Fatalf("error contains a secret value: %v", err)
		}
	}
}
