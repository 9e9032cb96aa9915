package jwtkeys

// Integration tests against Secrets Manager served by moto, with real
// rotations performed by the project's rotation code.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signWith makes a token outside Keys: any method, key and kid (nil: no
// kid header).
func signWith(t testing.TB, m jwt.SigningMethod, key any, kid any, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != nil {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenSurvivesOneRotationNotTwo(t *testing.T) {
	s := newSecret(t)
	client, _ := countedClient(t)
	clk := newClock()
	a := newKeys(t, client, s.arn, clk) // a process that runs through both rotations
	t0 := mustSign(t, a, "alice", clk.Now())
	if kid := kidOf(t, t0); kid != s.initial {
		t.Fatalf("kid %q, want the AWSCURRENT VersionId %q", kid, s.initial)
	}
	verifies(t, a, t0, "alice", "before any rotation")

	v1 := rotate(t, s)
	// A process started after the rotation signs with the new value and
	// accepts t0, signed with what is now AWSPREVIOUS.
	b := newKeys(t, client, s.arn, clk)
	t1 := mustSign(t, b, "bob", clk.Now())
	if kid := kidOf(t, t1); kid != v1 {
		t.Fatalf("kid after the rotation %q, want %q", kid, v1)
	}
	verifies(t, b, t0, "alice", "new process, token signed before the rotation")
	// The old process has not reached its TTL: t1's kid is unknown to its
	// cache, which makes it refetch.
	verifies(t, a, t1, "bob", "old process, token signed with the new value")
	verifies(t, a, t0, "alice", "old process, token signed before the rotation")
	if kid := kidOf(t, mustSign(t, a, "alice", clk.Now())); kid != v1 {
		t.Fatalf("old process signs with kid %q after its refetch, want %q", kid, v1)
	}

	rotate(t, s)
	clk.Advance(DefaultTTL)
	// The first request after the TTL is answered from the cache and
	// starts the refresh.
	verifies(t, a, t0, "alice", "first request after the TTL")
	waitBackground(a)
	rejects(t, a, t0, "after a second rotation", ErrInvalidToken, ErrUnknownKey)
	verifies(t, a, t1, "bob", "after a second rotation, token of the then-new value")
	c := newKeys(t, client, s.arn, clk)
	rejects(t, c, t0, "new process after a second rotation", ErrInvalidToken, ErrUnknownKey)
	verifies(t, c, t1, "bob", "new process after a second rotation")
}

func TestEmergencyInvalidation(t *testing.T) {
	ctx := context.Background()
	s := newSecret(t)
	v1 := rotate(t, s)
	client, log := countedClient(t)
	clk := newClock()
	a := newKeys(t, client, s.arn, clk)                              // waits for its TTL
	b := newKeys(t, client, s.arn, clk)                              // is told to Refresh
	l := newKeys(t, client, s.arn, clk, WithStaleWhileRevalidate(0)) // as in Lambda
	tCur := mustSign(t, a, "carol", clk.Now())
	tPrev := signWith(t, jwt.SigningMethodHS256, []byte(valueOf(t, s.arn, s.initial)), s.initial, claimsAt("dave", clk.Now()))
	for _, k := range []*Keys{a, b, l} {
		verifies(t, k, tCur, "carol", "before the invalidation")
		verifies(t, k, tPrev, "dave", "before the invalidation")
	}

	// The invalidation: a new value, then AWSPREVIOUS (v1) removed.
	v2 := regenerate(t, s)
	removePrevious(t, s)
	if l := labels(t, s.arn); l[StageCurrent] != v2 || l[StagePrevious] != "" {
		t.Fatalf("labels after the invalidation %v, want only AWSCURRENT on %s", l, v2)
	}
	// Within the TTL the cache still holds v1 and the initial version.
	verifies(t, a, tCur, "carol", "within the TTL after the invalidation")

	// Refresh makes it immediate.
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	rejects(t, b, tCur, "after Refresh", ErrInvalidToken, ErrUnknownKey)
	rejects(t, b, tPrev, "after Refresh", ErrInvalidToken, ErrUnknownKey)
	tNew := mustSign(t, b, "carol", clk.Now())
	if kid := kidOf(t, tNew); kid != v2 {
		t.Fatalf("kid after the invalidation %q, want %q", kid, v2)
	}
	verifies(t, b, tNew, "carol", "token signed after the invalidation")

	// Without Refresh: the first request after the TTL is still answered
	// from the cache and starts the refresh; once that is done every old
	// token fails. In Lambda mode (no stale-while-revalidate window) that
	// first request already waits for the refresh and fails.
	clk.Advance(DefaultTTL)
	n := log.count()
	rejects(t, l, tCur, "Lambda mode, first request after the TTL", ErrInvalidToken, ErrUnknownKey)
	// The fetch it waited for, then the refetch its unknown kid causes.
	assertCalls(t, log, n, append(slices.Clone(oneFetch), oneFetch...), "Lambda mode: the first request after the TTL")
	n = log.count()
	verifies(t, a, tCur, "carol", "first request after the TTL (answered from the cache)")
	waitBackground(a)
	assertCalls(t, log, n, oneFetch, "the refresh after the TTL")
	if p := a.snap.Load().previous; p != nil {
		t.Fatalf("cache still holds a previous key (version %s)", p.id)
	}
	rejects(t, a, tCur, "after the cache refreshed", ErrInvalidToken, ErrUnknownKey)
	rejects(t, a, tPrev, "after the cache refreshed", ErrInvalidToken, ErrUnknownKey)
	verifies(t, a, tNew, "carol", "token signed after the invalidation, old process")
	// A token without kid signed with the removed value fails too.
	noKid := signWith(t, jwt.SigningMethodHS256, []byte(valueOf(t, s.arn, v1)), nil, claimsAt("carol", clk.Now()))
	rejects(t, a, noKid, "no kid, invalidated value", ErrInvalidToken, jwt.ErrTokenSignatureInvalid)
}

func TestRejectsForgedAndInvalidTokens(t *testing.T) {
	s := newSecret(t)
	v1 := rotate(t, s)
	client, _ := countedClient(t)
	clk := newClock()
	k := newKeys(t, client, s.arn, clk)
	now := clk.Now()
	cur := []byte(valueOf(t, s.arn, v1))
	prev := []byte(valueOf(t, s.arn, s.initial))
	stranger := []byte("a-key-that-was-never-a-version-of-the-secret-0123456789")
	good := claimsAt("erin", now)
	valid := mustSign(t, k, "erin", now)
	parts := strings.Split(valid, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	withClaims := func(f func(*jwt.RegisteredClaims)) jwt.RegisteredClaims {
		c := claimsAt("erin", now)
		f(&c)
		return c
	}
	// rs256Header signs an RS256 header with HMAC-SHA256 and the real key:
	// the classic algorithm confusion.
	confused := func() string {
		head := b64([]byte(fmt.Sprintf(`{"alg":"RS256","kid":%q,"typ":"JWT"}`, v1)))
		mac := hmac.New(sha256.New, cur)
		mac.Write([]byte(head + "." + parts[1]))
		return head + "." + parts[1] + "." + b64(mac.Sum(nil))
	}()
	tamperedPayload := parts[0] + "." + b64([]byte(`{"iss":"auris","sub":"mallory","aud":["app"],"exp":`+fmt.Sprint(now.Add(time.Hour).Unix())+`}`)) + "." + parts[2]
	sig := []byte(parts[2])
	if sig[5] == 'A' { // another base64url character: another signature
		sig[5] = 'B'
	} else {
		sig[5] = 'A'
	}
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)
	none := signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, v1, good)

	accepted := []struct{ name, token string }{
		{"kid current", valid},
		{"kid previous", signWith(t, jwt.SigningMethodHS256, prev, s.initial, good)},
		{"no kid, current value", signWith(t, jwt.SigningMethodHS256, cur, nil, good)},
		{"no kid, previous value", signWith(t, jwt.SigningMethodHS256, prev, nil, good)},
	}
	for _, c := range accepted {
		verifies(t, k, c.token, "erin", c.name)
	}
	rejected := []struct {
		name  string
		token string
		want  error
	}{
		{"tampered payload", tamperedPayload, jwt.ErrTokenSignatureInvalid},
		{"tampered signature", tamperedSig, jwt.ErrTokenSignatureInvalid},
		{"unknown kid, unknown key", signWith(t, jwt.SigningMethodHS256, stranger, "5a0e2f6c-0000-4000-8000-000000000000", good), ErrUnknownKey},
		{"current kid, unknown key", signWith(t, jwt.SigningMethodHS256, stranger, v1, good), jwt.ErrTokenSignatureInvalid},
		{"previous kid, current key", signWith(t, jwt.SigningMethodHS256, cur, s.initial, good), jwt.ErrTokenSignatureInvalid},
		{"no kid, unknown key", signWith(t, jwt.SigningMethodHS256, stranger, nil, good), jwt.ErrTokenSignatureInvalid},
		{"alg none", none, jwt.ErrTokenSignatureInvalid},
		{"HS512 with the current value", signWith(t, jwt.SigningMethodHS512, cur, v1, good), jwt.ErrTokenSignatureInvalid},
		{"RS256 header, HMAC signature", confused, jwt.ErrTokenSignatureInvalid},
		{"kid not a string", signWith(t, jwt.SigningMethodHS256, cur, 42, good), jwt.ErrTokenUnverifiable},
		{"expired", signWith(t, jwt.SigningMethodHS256, cur, v1, withClaims(func(c *jwt.RegisteredClaims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
		})), jwt.ErrTokenExpired},
		{"not valid yet", signWith(t, jwt.SigningMethodHS256, cur, v1, withClaims(func(c *jwt.RegisteredClaims) {
			c.NotBefore = jwt.NewNumericDate(now.Add(time.Hour))
		})), jwt.ErrTokenNotValidYet},
		{"no expiry", signWith(t, jwt.SigningMethodHS256, cur, v1, withClaims(func(c *jwt.RegisteredClaims) {
			c.ExpiresAt = nil
		})), jwt.ErrTokenRequiredClaimMissing},
		{"other issuer", signWith(t, jwt.SigningMethodHS256, cur, v1, withClaims(func(c *jwt.RegisteredClaims) {
			c.Issuer = "someone-else"
		})), jwt.ErrTokenInvalidIssuer},
		{"other audience", signWith(t, jwt.SigningMethodHS256, cur, v1, withClaims(func(c *jwt.RegisteredClaims) {
			c.Audience = jwt.ClaimStrings{"admin"}
		})), jwt.ErrTokenInvalidAudience},
		{"not a JWT", "not.a.jwt", jwt.ErrTokenMalformed},
		{"empty", "", jwt.ErrTokenMalformed},
	}
	for _, c := range rejected {
		t.Run(c.name, func(t *testing.T) {
			err := rejects(t, k, c.token, c.name, ErrInvalidToken, c.want)
			assertNoSecret(t, err, string(cur), string(prev))
			if errors.Is(err, ErrUnavailable) {
				t.Fatalf("a token problem reported as unavailable keys: %v", err)
			}
		})
	}
}

func TestCacheCalls(t *testing.T) {
	ctx := context.Background()
	s := newSecret(t)
	rotate(t, s)
	client, log := countedClient(t)
	clk := newClock()
	k := newKeys(t, client, s.arn, clk)

	tok := mustSign(t, k, "frank", clk.Now())
	assertCalls(t, log, 0, oneFetch, "first Sign")

	// Steady state: no call per Sign or Verify.
	n := log.count()
	for i := range 500 {
		sub := fmt.Sprint("user-", i)
		verifies(t, k, mustSign(t, k, sub, clk.Now()), sub, "steady state")
		verifies(t, k, tok, "frank", "steady state")
	}
	clk.Advance(DefaultTTL - time.Nanosecond)
	verifies(t, k, tok, "frank", "just before the TTL")
	assertCalls(t, log, n, nil, "1000 Verify and 500 Sign within the TTL")

	// One fetch per TTL, however many requests come after it.
	for period := range 3 {
		clk.Advance(DefaultTTL)
		n = log.count()
		for range 50 {
			verifies(t, k, tok, "frank", "after the TTL")
			mustSign(t, k, "frank", clk.Now())
		}
		waitBackground(k)
		assertCalls(t, log, n, oneFetch, fmt.Sprintf("100 requests in TTL period %d", period+2))
	}

	// Unknown key ids: one fetch, then none within the unknown-key interval,
	// however many, sequential or concurrent.
	forged := func(i int) string {
		return signWith(t, jwt.SigningMethodHS256, []byte("forged-key-forged-key-forged-key-0123456789"),
			fmt.Sprintf("00000000-0000-4000-8000-%012d", i), claimsAt("mallory", clk.Now()))
	}
	n = log.count()
	rejects(t, k, forged(0), "forged kid", ErrUnknownKey)
	assertCalls(t, log, n, oneFetch, "first unknown kid")
	n = log.count()
	for i := range 20 {
		rejects(t, k, forged(i+1), "forged kid", ErrUnknownKey)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := k.Verify(ctx, forged(100+i), nil); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("concurrent forged kid: %v, want ErrUnknownKey", err)
			}
		})
	}
	wg.Wait()
	clk.Advance(DefaultUnknownKeyInterval - time.Nanosecond)
	rejects(t, k, forged(200), "forged kid just inside the interval", ErrUnknownKey)
	assertCalls(t, log, n, nil, "40 more unknown kids within the interval")
	clk.Advance(time.Nanosecond)
	rejects(t, k, forged(201), "forged kid after the interval", ErrUnknownKey)
	assertCalls(t, log, n, oneFetch, "unknown kid after the interval")

	// Concurrent callers with no keys share one fetch.
	cold := newKeys(t, client, s.arn, clk)
	n = log.count()
	for range 16 {
		wg.Go(func() {
			if _, err := cold.Verify(ctx, tok, nil); err != nil {
				t.Errorf("cold Verify: %v", err)
			}
		})
	}
	wg.Wait()
	if got := log.since(n); len(got) > len(oneFetch) {
		// singleflight shares a fetch among callers that overlap it; the
		// first caller's fetch may finish before the last caller starts,
		// but then that caller finds the keys cached.
		t.Fatalf("16 concurrent first calls made %q, want one fetch", got)
	}
}

func TestStaleOnError(t *testing.T) {
	s := newSecret(t)
	v1 := rotate(t, s)
	client, log := countedClient(t)
	clk := newClock()
	k := newKeys(t, client, s.arn, clk)
	tok := mustSign(t, k, "grace", clk.Now())
	fetched := clk.Now()
	values := []string{valueOf(t, s.arn, v1), valueOf(t, s.arn, s.initial)}

	log.setFail(errInjected)
	clk.Advance(DefaultTTL)
	n := log.count()
	verifies(t, k, tok, "grace", "first request after the TTL, Secrets Manager down")
	waitBackground(k)
	assertCalls(t, log, n, []string{"GetSecretValue " + StageCurrent}, "the failed background refresh")

	// Within the retry interval: the cache answers, nothing is called.
	n = log.count()
	for range 20 {
		verifies(t, k, tok, "grace", "within the retry interval")
		mustSign(t, k, "grace", clk.Now())
	}
	assertCalls(t, log, n, nil, "requests within the retry interval")

	// The next retry, and up to the maximum staleness: still answered.
	clk.Advance(DefaultRetryInterval)
	verifies(t, k, tok, "grace", "after the retry interval")
	waitBackground(k)
	assertCalls(t, log, n, []string{"GetSecretValue " + StageCurrent}, "the retry")
	clk.ns.Store(fetched.Add(DefaultMaxStaleness).UnixNano())
	n = log.count()
	verifies(t, k, tok, "grace", "at the maximum staleness")
	waitBackground(k)
	assertCalls(t, log, n, []string{"GetSecretValue " + StageCurrent}, "the retry at the maximum staleness")

	// Past it: a clear error, for Sign and Verify. Within the retry
	// interval of the last failure nothing is called.
	clk.Advance(time.Nanosecond)
	n = log.count()
	assertStale := func(err error, when string) {
		t.Helper()
		if !errors.Is(err, ErrStale) || !errors.Is(err, ErrUnavailable) || !errors.Is(err, errInjected) {
			t.Fatalf("%s: %v, want ErrStale wrapping the fetch error", when, err)
		}
		if errors.Is(err, ErrInvalidToken) {
			t.Fatalf("%s: unavailable keys reported as an invalid token: %v", when, err)
		}
		if !strings.Contains(err.Error(), s.arn) || !strings.Contains(err.Error(), "maximum 1h0m0s") {
			t.Fatalf("%s: error %q does not name the secret and the maximum staleness", when, err)
		}
		assertNoSecret(t, err, values...)
	}
	_, err := k.Verify(context.Background(), tok, nil)
	assertStale(err, "Verify past the maximum staleness, within the retry interval")
	_, err = k.Sign(context.Background(), claimsAt("grace", clk.Now()))
	assertStale(err, "Sign past the maximum staleness, within the retry interval")
	assertCalls(t, log, n, nil, "requests within the retry interval past the maximum staleness")
	// After the retry interval the request waits for a fetch, which fails.
	clk.Advance(DefaultRetryInterval)
	_, err = k.Verify(context.Background(), tok, nil)
	assertStale(err, "Verify past the maximum staleness")
	assertCalls(t, log, n, []string{"GetSecretValue " + StageCurrent}, "the blocking fetch past the maximum staleness")

	// Secrets Manager back: the first request after the retry interval
	// waits for the fetch and succeeds.
	log.setFail(nil)
	clk.Advance(DefaultRetryInterval)
	n = log.count()
	verifies(t, k, tok, "grace", "Secrets Manager back")
	assertCalls(t, log, n, oneFetch, "recovery")

	// No keys at all: ErrUnavailable, not ErrStale.
	log.setFail(errInjected)
	cold := newKeys(t, client, s.arn, clk)
	_, err = cold.Sign(context.Background(), claimsAt("grace", clk.Now()))
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrStale) || !errors.Is(err, errInjected) {
		t.Fatalf("Sign without keys: %v, want ErrUnavailable (not ErrStale) wrapping the fetch error", err)
	}
	if err := cold.Refresh(context.Background()); !errors.Is(err, errInjected) {
		t.Fatalf("Refresh: %v, want the fetch error", err)
	}
}

// TestConcurrentSignVerify runs Sign and Verify from many goroutines (run it
// with -race) while the clock passes TTLs and a real rotation happens: no
// request may fail, since every token is signed with a value that is
// AWSCURRENT or AWSPREVIOUS throughout.
func TestConcurrentSignVerify(t *testing.T) {
	s := newSecret(t)
	client, log := countedClient(t)
	clk := newClock()
	k := newKeys(t, client, s.arn, clk)
	t0 := mustSign(t, k, "ivan", clk.Now())
	var (
		ops     atomic.Int64
		stop    atomic.Bool
		fresh   atomic.Pointer[string] // signed by another process after the rotation
		wg      sync.WaitGroup
		failure atomic.Pointer[error]
	)
	fail := func(err error) { failure.CompareAndSwap(nil, &err) }
	for w := range 8 {
		wg.Go(func() {
			ctx := context.Background()
			sub := fmt.Sprint("worker-", w)
			for !stop.Load() {
				tok, err := k.Sign(ctx, claimsAt(sub, clk.Now()))
				if err != nil {
					fail(fmt.Errorf("Sign: %w", err))
					return
				}
				for _, v := range []string{tok, t0} {
					if _, err := k.Verify(ctx, v, nil); err != nil {
						fail(fmt.Errorf("Verify: %w", err))
						return
					}
				}
				if f := fresh.Load(); f != nil {
					if _, err := k.Verify(ctx, *f, nil); err != nil {
						fail(fmt.Errorf("Verify of a token signed after the rotation: %w", err))
						return
					}
				}
				ops.Add(1)
			}
		})
	}
	waitOps := func(n int64) {
		target := ops.Load() + n
		for ops.Load() < target && failure.Load() == nil {
			time.Sleep(time.Millisecond)
		}
	}
	waitOps(200)
	clk.Advance(DefaultTTL)
	waitOps(200)
	v1 := rotate(t, s)
	other := newKeys(t, env.sm, s.arn, clk)
	tNew := mustSign(t, other, "judy", clk.Now())
	if kidOf(t, tNew) != v1 {
		t.Fatal("the other process did not sign with the new value")
	}
	fresh.Store(&tNew)
	waitOps(200)
	clk.Advance(DefaultTTL)
	waitOps(200)
	stop.Store(true)
	wg.Wait()
	waitBackground(k)
	if p := failure.Load(); p != nil {
		t.Fatal(*p)
	}
	total := ops.Load()
	// 1 first fetch, 2 TTL refreshes, at most 1 unknown-kid refetch (each 2
	// calls, 3 when a fetch straddles the rotation).
	if calls := log.count(); calls > 4*3 {
		t.Fatalf("%d Secrets Manager calls for %d Sign+3 Verify rounds, want at most 12", calls, total)
	}
	if cur := k.snap.Load(); cur.current.id != v1 || cur.previousID() != s.initial {
		t.Fatalf("cache ends with current %s, previous %s; want %s, %s", cur.current.id, cur.previousID(), v1, s.initial)
	}
}

// TestWaitsPastRevalidateWindow: a process that got no request during the
// stale-while-revalidate window waits for a fetch rather than answer from
// keys older than TTL + window.
func TestWaitsPastRevalidateWindow(t *testing.T) {
	s := newSecret(t)
	client, log := countedClient(t)
	clk := newClock()
	k := newKeys(t, client, s.arn, clk)
	t0 := mustSign(t, k, "liam", clk.Now())
	v1 := rotate(t, s)
	clk.Advance(DefaultTTL + DefaultStaleWhileRevalidate)
	n := log.count()
	if kid := kidOf(t, mustSign(t, k, "liam", clk.Now())); kid != v1 {
		t.Fatalf("Sign past the window used kid %s, want the new %s", kid, v1)
	}
	assertCalls(t, log, n, oneFetch, "Sign past the window (no background wait)")
	verifies(t, k, t0, "liam", "token of the previous value")
}

// TestStaleIfErrorWithoutBackground: in Lambda mode a failing refresh is
// tried by the request that needs it, which then gets the cached keys, up
// to the maximum staleness.
func TestStaleIfErrorWithoutBackground(t *testing.T) {
	s := newSecret(t)
	client, log := countedClient(t)
	clk := newClock()
	k := newKeys(t, client, s.arn, clk, WithStaleWhileRevalidate(0))
	tok := mustSign(t, k, "mia", clk.Now())
	fetched := clk.Now()
	failedRead := []string{"GetSecretValue " + StageCurrent}

	log.setFail(errInjected)
	clk.Advance(DefaultTTL)
	n := log.count()
	verifies(t, k, tok, "mia", "first request after the TTL, Secrets Manager down")
	assertCalls(t, log, n, failedRead, "the request's own failed fetch")
	n = log.count()
	for range 10 {
		verifies(t, k, tok, "mia", "within the retry interval")
	}
	assertCalls(t, log, n, nil, "requests within the retry interval")
	clk.Advance(DefaultRetryInterval)
	verifies(t, k, tok, "mia", "after the retry interval")
	assertCalls(t, log, n, failedRead, "the retry")

	clk.ns.Store(fetched.Add(DefaultMaxStaleness).UnixNano())
	n = log.count()
	verifies(t, k, tok, "mia", "at the maximum staleness")
	assertCalls(t, log, n, failedRead, "the retry at the maximum staleness")
	clk.Advance(DefaultRetryInterval)
	n = log.count()
	if _, err := k.Verify(context.Background(), tok, nil); !errors.Is(err, ErrStale) || !errors.Is(err, errInjected) {
		t.Fatalf("Verify past the maximum staleness: %v, want ErrStale wrapping the fetch error", err)
	}
	assertCalls(t, log, n, failedRead, "the fetch past the maximum staleness")
	waitBackground(k)
	if k.bgStarted.Load() != 0 {
		t.Fatalf("%d background refreshes in Lambda mode, want none", k.bgStarted.Load())
	}
}
