package jwtkeys

// Tests against the in-memory fakeSM, for what moto cannot stage: a
// rotation between the two reads of a fetch, a fetch that hangs, malformed
// values.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	valueA = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	valueB = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	valueC = "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
)

func TestNewRejectsBadArguments(t *testing.T) {
	f := newFakeSM("v1", valueA)
	cases := []struct {
		name   string
		client Client
		id     string
		opts   []Option
		want   string
	}{
		{"nil client", nil, "s", nil, "client is nil"},
		{"empty id", f, "", nil, "secret id is empty"},
		{"zero TTL", f, "s", []Option{WithTTL(0)}, "TTL is 0s"},
		{"staleness below TTL", f, "s", []Option{WithTTL(time.Hour), WithMaxStaleness(time.Minute)}, "maximum staleness is 1m0s, want at least the TTL (1h0m0s)"},
		{"negative unknown-key interval", f, "s", []Option{WithUnknownKeyInterval(-1)}, "unknown-key interval"},
		{"negative retry interval", f, "s", []Option{WithRetryInterval(-1)}, "retry interval"},
		{"zero fetch timeout", f, "s", []Option{WithFetchTimeout(0)}, "fetch timeout"},
		{"nil clock", f, "s", []Option{WithClock(nil)}, "clock is nil"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := New(c.client, c.id, c.opts...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: %v, %v; want an error containing %q", k, err, c.want)
			}
		})
	}
	if _, err := New(f, "s", WithTTL(time.Minute), WithMaxStaleness(time.Minute), WithUnknownKeyInterval(0), WithRetryInterval(0)); err != nil {
		t.Fatalf("New with edge values: %v", err)
	}
	if f.callCount() != 0 {
		t.Fatal("New called Secrets Manager")
	}
}

func TestFetchSeesRotationBetweenReads(t *testing.T) {
	f := newFakeSM("v1", valueA)
	f.rotate("v2", valueB)
	// The rotation to v3 finishes right after the fetch read AWSCURRENT
	// (v2): AWSPREVIOUS then reads v2 as well.
	f.afterRead = func(n int) {
		if n == 1 {
			f.rotate("v3", valueC)
		}
	}
	clk := newClock()
	k := newKeys(t, f, "s", clk)
	if err := k.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := k.snap.Load()
	if s.current.id != "v3" || s.previousID() != "v2" {
		t.Fatalf("cached current %s, previous %s; want v3, v2", s.current.id, s.previousID())
	}
	if want := []string{StageCurrent, StagePrevious, StageCurrent}; !slices.Equal(f.calls, want) {
		t.Fatalf("reads %v, want %v", f.calls, want)
	}
}

func TestNoPreviousVersion(t *testing.T) {
	f := newFakeSM("v1", valueA)
	clk := newClock()
	k := newKeys(t, f, "s", clk)
	tok := mustSign(t, k, "kim", clk.Now())
	if want := []string{StageCurrent, StagePrevious}; !slices.Equal(f.calls, want) {
		t.Fatalf("reads %v, want %v (a missing AWSPREVIOUS is no error)", f.calls, want)
	}
	verifies(t, k, tok, "kim", "kid current")
	noKid := signWith(t, jwt.SigningMethodHS256, []byte(valueA), nil, claimsAt("kim", clk.Now()))
	verifies(t, k, noKid, "kim", "no kid")
	other := signWith(t, jwt.SigningMethodHS256, []byte(valueB), nil, claimsAt("kim", clk.Now()))
	rejects(t, k, other, "no kid, other key", ErrInvalidToken, jwt.ErrTokenSignatureInvalid)
}

func TestShortValueIsRefused(t *testing.T) {
	f := newFakeSM("v1", "short-secret-value")
	k := newKeys(t, f, "prod-auris-jwt-secret", newClock())
	_, err := k.Sign(context.Background(), claimsAt("kim", time.Now()))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "AWSCURRENT version v1 of secret prod-auris-jwt-secret is 18 bytes long, want at least 32") {
		t.Fatalf("Sign with an 18-byte value: %v", err)
	}
	assertNoSecret(t, err, "short-secret-value")
}

func TestUserOptionsCannotWidenAlgorithms(t *testing.T) {
	f := newFakeSM("v1", valueA)
	clk := newClock()
	k := newKeys(t, f, "s", clk, WithParserOptions(jwt.WithValidMethods([]string{"HS256", "HS512", "none"})))
	hs512 := signWith(t, jwt.SigningMethodHS512, []byte(valueA), "v1", claimsAt("kim", clk.Now()))
	rejects(t, k, hs512, "HS512", ErrInvalidToken, jwt.ErrTokenSignatureInvalid)
	none := signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "v1", claimsAt("kim", clk.Now()))
	rejects(t, k, none, "alg none", ErrInvalidToken, jwt.ErrTokenSignatureInvalid)
}

func TestCallerContextEndsDuringFetch(t *testing.T) {
	f := newFakeSM("v1", valueA)
	f.block = make(chan struct{})
	k := newKeys(t, f, "s", newClock())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := k.Sign(ctx, claimsAt("kim", time.Now()))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Sign with a cancelled context: %v, want context.Canceled and ErrUnavailable", err)
	}
	// The fetch goes on for the next callers.
	close(f.block)
	deadline := time.Now().Add(10 * time.Second)
	for k.snap.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if k.snap.Load() == nil {
		t.Fatal("the fetch that the cancelled caller started never stored its keys")
	}
	mustSign(t, k, "kim", time.Now())
	if n := f.callCount(); n != 2 {
		t.Fatalf("%d calls, want the one fetch (2)", n)
	}
}

// TestRefreshStartsItsOwnFetch: a fetch that read the labels before an
// invalidation must neither answer Refresh nor, finishing later, replace
// what Refresh stored.
func TestRefreshStartsItsOwnFetch(t *testing.T) {
	f := newFakeSM("v1", valueA)
	f.rotate("v2", valueB)
	stuck, release := make(chan struct{}), make(chan struct{})
	f.afterRead = func(n int) {
		if n == 2 { // the first fetch has read both labels
			close(stuck)
			<-release
		}
	}
	k := newKeys(t, f, "s", newClock())
	signed := make(chan error)
	go func() {
		_, err := k.Sign(context.Background(), claimsAt("kim", time.Now()))
		signed <- err
	}()
	<-stuck
	f.rotate("v3", valueC) // regenerate ...
	f.dropPrevious()       // ... and invalidate
	if err := k.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := k.snap.Load(); s.current.id != "v3" || s.previous != nil {
		t.Fatalf("after Refresh: current %s, previous %q; want v3 and none", s.current.id, s.previousID())
	}
	close(release)
	if err := <-signed; err != nil {
		t.Fatal(err)
	}
	if s := k.snap.Load(); s.current.id != "v3" || s.previous != nil {
		t.Fatalf("the older fetch replaced the newer keys: current %s, previous %q", s.current.id, s.previousID())
	}
}

func TestLogsCarryNoValue(t *testing.T) {
	var buf bytes.Buffer
	f := newFakeSM("v1", valueA)
	f.rotate("v2", valueB)
	clk := newClock()
	k := newKeys(t, f, "prod-auris-jwt-secret", clk, WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	mustSign(t, k, "kim", clk.Now())
	f.setErr(errors.New("throttled"))
	clk.Advance(DefaultTTL)
	mustSign(t, k, "kim", clk.Now())
	waitBackground(k)
	out := buf.String()
	for _, want := range []string{`"msg":"signing keys loaded"`, `"currentVersion":"v2"`, `"previousVersion":"v1"`, `"secretId":"prod-auris-jwt-secret"`, `"level":"WARN"`, "throttled"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, valueA) || strings.Contains(out, valueB) {
		t.Fatalf("log contains a secret value:\n%s", out)
	}
}

func TestNoBackgroundRefreshInLambda(t *testing.T) {
	f := newFakeSM("v1", valueA)
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "")
	k, err := New(f, "s")
	if err != nil {
		t.Fatal(err)
	}
	if got := k.opts.staleWhileRevalidate; got != DefaultStaleWhileRevalidate {
		t.Fatalf("stale-while-revalidate outside Lambda: %s, want %s", got, DefaultStaleWhileRevalidate)
	}
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "auris-app")
	if k, err = New(f, "s"); err != nil {
		t.Fatal(err)
	}
	if got := k.opts.staleWhileRevalidate; got != 0 {
		t.Fatalf("stale-while-revalidate in Lambda: %s, want 0", got)
	}
	if k, err = New(f, "s", WithStaleWhileRevalidate(time.Second)); err != nil || k.opts.staleWhileRevalidate != time.Second {
		t.Fatalf("the option does not override the Lambda default: %v", err)
	}
}
