package rotation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// oldValue is a well-formed 64-character value standing in for the one the
// Pulumi program generated.
var oldValue = strings.Repeat("Ab3", 21) + "Z"

func token(i int) string { return fmt.Sprintf("%08d-1111-4222-8333-%012d", i, i) }

// call names one Secrets Manager request a rotation made.
type call struct {
	op    string
	write bool
}

// faultMode says what recordingClient does to the call it is told to fault.
type faultMode int

const (
	noFault      faultMode = iota
	failBefore             // the call fails without taking effect
	loseResponse           // the call takes effect, then the caller sees an error
)

func (m faultMode) String() string {
	return [...]string{"none", "fail-before", "lose-response"}[m]
}

var errInjected = errors.New("injected fault")

// recordingClient wraps a Client, records every call and can fault one.
type recordingClient struct {
	inner   Client
	mu      sync.Mutex
	calls   []call
	faultAt int // index into calls of the call to fault; -1 for none
	mode    faultMode
	before  func(op string) // called before each call, for scheduling races
}

func record(inner Client) *recordingClient { return &recordingClient{inner: inner, faultAt: -1} }

func (c *recordingClient) start(op string, write bool) (faultMode, int) {
	if c.before != nil {
		c.before(op)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call{op, write})
	i := len(c.calls) - 1
	if i == c.faultAt {
		return c.mode, i
	}
	return noFault, i
}

func (c *recordingClient) writes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var w []string
	for _, cl := range c.calls {
		if cl.write {
			w = append(w, cl.op)
		}
	}
	return w
}

func (c *recordingClient) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = nil
}

func do[I, O any](c *recordingClient, op string, write bool, fn func(context.Context, I, ...func(*secretsmanager.Options)) (O, error), ctx context.Context, in I) (O, error) {
	mode, i := c.start(op, write)
	var zero O
	if mode == failBefore {
		return zero, fmt.Errorf("%s (call %d): %w", op, i, errInjected)
	}
	out, err := fn(ctx, in)
	if mode == loseResponse {
		return zero, fmt.Errorf("%s (call %d) response lost: %w", op, i, errInjected)
	}
	return out, err
}

func (c *recordingClient) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return do(c, "DescribeSecret", false, c.inner.DescribeSecret, ctx, in)
}

func (c *recordingClient) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return do(c, "GetSecretValue", false, c.inner.GetSecretValue, ctx, in)
}

func (c *recordingClient) PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	return do(c, "PutSecretValue", true, c.inner.PutSecretValue, ctx, in)
}

func (c *recordingClient) UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error) {
	return do(c, "UpdateSecretVersionStage", true, c.inner.UpdateSecretVersionStage, ctx, in)
}

// syncBuffer is a log sink safe for concurrent rotations.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestRotator returns a Rotator over client whose JSON log goes to the
// returned buffer.
func newTestRotator(t *testing.T, client Client, length int) (*Rotator, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	r, err := New(client, length, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return r, logs
}

// rotateAll runs the four steps of one rotation in order, as Secrets Manager
// does, stopping at the first failure.
func rotateAll(ctx context.Context, r *Rotator, tok string) error {
	for _, s := range Steps {
		if err := r.Run(ctx, Event{Step: s, SecretID: fakeARN, ClientRequestToken: tok}); err != nil {
			return err
		}
	}
	return nil
}

// assertRotated checks the end state of a finished rotation: tok is the only
// AWSCURRENT version and holds a new well-formed value, prevID is the only
// AWSPREVIOUS, and no AWSPENDING is left.
func assertRotated(t *testing.T, f *fakeSecretsManager, tok, prevID, prevValue string, length int) {
	t.Helper()
	holders := f.labelHolders()
	_, values := f.snapshot()
	if got := holders[StageCurrent]; len(got) != 1 || got[0] != tok {
		t.Fatalf("AWSCURRENT on %v, want [%s]; labels %v", got, tok, holders)
	}
	if got := holders[StagePrevious]; len(got) != 1 || got[0] != prevID {
		t.Fatalf("AWSPREVIOUS on %v, want [%s]", got, prevID)
	}
	if got := holders[StagePending]; len(got) != 0 {
		t.Fatalf("AWSPENDING left on %v", got)
	}
	if err := ValidateValue(values[tok], length); err != nil {
		t.Fatalf("current value: %v", err)
	}
	if values[tok] == prevValue {
		t.Fatal("rotation kept the old value")
	}
	if values[prevID] != prevValue {
		t.Fatal("the previous version's value changed")
	}
}

// assertNoValueIn fails if any value the fake holds appears in text.
func assertNoValueIn(t *testing.T, f *fakeSecretsManager, what, text string) {
	t.Helper()
	_, values := f.snapshot()
	for id, v := range values {
		if strings.Contains(text, v) {
			t.Fatalf("%s contains the value of version %s", what, id)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
