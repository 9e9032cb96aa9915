// Package jwtkeys signs and verifies HS256 JWTs with the rotating signing
// secret kept in AWS Secrets Manager, so that a rotation logs nobody out.
//
// Keys reads two versions of the secret: AWSCURRENT, which Sign uses and
// names in the token header's kid (its VersionId), and AWSPREVIOUS, the value
// a rotation replaced, which Verify keeps accepting until the next rotation.
// Token parsing and the expiry, not-before, issuer and audience checks are
// github.com/golang-jwt/jwt/v5's; only HS256 is accepted, and an expiry is
// required.
//
// Use one Keys per process, made at start-up, and call Verify per request:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	...
//	keys, err := jwtkeys.New(secretsmanager.NewFromConfig(cfg), os.Getenv("SECRET_ID"),
//		jwtkeys.WithParserOptions(jwt.WithIssuer("auris"), jwt.WithAudience("app")))
//	...
//	token, err := keys.Sign(ctx, jwt.RegisteredClaims{Subject: "alice", ...})
//	...
//	var claims jwt.RegisteredClaims
//	if _, err := keys.Verify(ctx, token, &claims); err != nil {
//		if errors.Is(err, jwtkeys.ErrUnavailable) { /* 503: Secrets Manager */ }
//		/* 401 */
//	}
//
// The process needs secretsmanager:GetSecretValue on the secret (the stack's
// reader policy).
//
// # Caching
//
// A fetch is two GetSecretValue calls, AWSCURRENT then AWSPREVIOUS (a
// missing AWSPREVIOUS means no previous key). Sign and Verify make no call
// while the keys are younger than the TTL (WithTTL, default 5 minutes). For
// the stale-while-revalidate window after it (WithStaleWhileRevalidate:
// 1 minute, 0 in Lambda) they answer from the cache while a background
// refresh runs; past it, the caller waits for the fetch. A failed fetch is
// retried at most every WithRetryInterval, and the cached keys keep
// answering meanwhile, up to WithMaxStaleness (1 hour); then Sign and
// Verify return ErrStale. A token whose kid is neither cached version
// causes one refetch, at most one per WithUnknownKeyInterval (1 minute), so
// that a rotation another process saw first is picked up and forged key ids
// do not turn into calls.
//
// # Rotation is invisible to users when TTL + token lifetime < rotation interval
//
// A process signs with a value until its cache learns of the rotation that
// replaced it: at most the TTL (plus the stale-while-revalidate window, or
// the maximum staleness while Secrets Manager fails) after the rotation.
// Every process accepts that value as AWSPREVIOUS until the next rotation.
// So that staleness plus the longest token lifetime must stay below the
// rotation interval: 5 minutes (1 hour at worst) + 24 hours is far below
// 180 days. Rotating again by hand within that time logs out the holders of
// tokens signed before the first rotation.
//
// # Emergency invalidation
//
// Regenerating the secret and then removing the AWSPREVIOUS label drops
// every key that signed the tokens in circulation. A process rejects those
// tokens once its cache has refreshed. In Lambda (no stale-while-revalidate
// window) that is the first request after the TTL: at most 5 minutes after
// the label removal. Elsewhere the first request after the TTL is still
// answered from the cache and starts the refresh, which takes one
// Secrets Manager round trip; at most TTL + window (6 minutes) in any case.
// Refresh, or a new process (a Lambda cold start, forced by updating the
// function's configuration or code), makes it immediate.
package jwtkeys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"
)

// Staging labels of the versions Keys reads.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// MinKeyLength is the shortest secret value Keys accepts, in bytes: HS256
// wants a key at least as long as its 256-bit hash.
const MinKeyLength = 32

// Client is the part of the Secrets Manager API Keys uses;
// *secretsmanager.Client implements it.
type Client interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Keys signs and verifies tokens with the cached versions of one secret.
// It is safe for concurrent use; make one per process.
type Keys struct {
	client   Client
	secretID string
	opts     options
	log      *slog.Logger
	parser   *jwt.Parser

	snap      atomic.Pointer[snapshot]
	seq       atomic.Uint64 // numbers fetches, so an older one never replaces a newer one
	flight    singleflight.Group
	bg        sync.WaitGroup // background refreshes, for tests
	bgStarted atomic.Int64   // how many were started, for tests

	mu          sync.Mutex
	refreshing  bool          // a background refresh is running
	lastFailure time.Time     // when the last fetch failed; zero after a success
	lastErr     error         // why
	lastUnknown time.Time     // when an unknown key id last caused a fetch
	unknownDone chan struct{} // closed when that fetch is over
}

// New returns Keys for the secret secretID (its name or ARN) read through
// client. It does not fetch: the first Sign or Verify does, or call Refresh
// at start-up to fail early.
func New(client Client, secretID string, opts ...Option) (*Keys, error) {
	if client == nil {
		return nil, errors.New("jwtkeys: client is nil")
	}
	if secretID == "" {
		return nil, errors.New("jwtkeys: secret id is empty")
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("jwtkeys: invalid options: %w", err)
	}
	log := o.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The clock first, so that a jwt.WithTimeFunc of the caller wins; the
	// method restriction last, so that nothing overrides it.
	var popts []jwt.ParserOption
	if o.clockSet {
		popts = append(popts, jwt.WithTimeFunc(o.now))
	}
	popts = append(popts, jwt.WithExpirationRequired())
	popts = append(popts, o.parserOptions...)
	popts = append(popts, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}))
	return &Keys{
		client:   client,
		secretID: secretID,
		opts:     o,
		log:      log.With("secretId", secretID),
		parser:   jwt.NewParser(popts...),
	}, nil
}

// Sign returns claims as a JWT signed with HS256 and the AWSCURRENT value,
// with that version's VersionId as the header's kid.
func (k *Keys) Sign(ctx context.Context, claims jwt.Claims) (string, error) {
	s, err := k.keys(ctx)
	if err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	t.Header["kid"] = s.currentKid
	signed, err := t.SignedString(s.current.secret)
	if err != nil {
		return "", fmt.Errorf("jwtkeys: signing token: %w", err)
	}
	return signed, nil
}

// Verify parses token into claims (a pointer to a type implementing
// jwt.Claims, such as *jwt.RegisteredClaims; nil means jwt.MapClaims) and
// checks it: HS256 only, signed with the version its kid names (AWSCURRENT
// or AWSPREVIOUS; without a kid, either), an expiry that has not passed,
// and what the parser options of WithParserOptions ask for.
//
// An error matches ErrInvalidToken, and the golang-jwt error that says why
// (jwt.ErrTokenExpired, jwt.ErrTokenSignatureInvalid, ...) or ErrUnknownKey;
// or, when the keys could not be fetched, ErrUnavailable.
func (k *Keys) Verify(ctx context.Context, token string, claims jwt.Claims) (*jwt.Token, error) {
	s, err := k.keys(ctx)
	if err != nil {
		return nil, err
	}
	if claims == nil {
		claims = jwt.MapClaims{}
	}
	t, err := k.parser.ParseWithClaims(token, claims, s.keyfunc)
	if err != nil && errors.Is(err, ErrUnknownKey) {
		if fresh := k.refetchForUnknownKey(ctx, s); fresh != nil {
			t, err = k.parser.ParseWithClaims(token, claims, fresh.keyfunc)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return t, nil
}

// Refresh fetches the keys now, whatever the TTL and the retry interval,
// and waits for them. Call it at start-up to fail early, or to make an
// emergency invalidation take effect at once.
func (k *Keys) Refresh(ctx context.Context) error {
	// Do not join a fetch that started before this call: it may have read
	// labels that an invalidation has since removed.
	k.flight.Forget(flightKey)
	if _, err := k.load(ctx, nil, true); err != nil {
		return fmt.Errorf("jwtkeys: refreshing keys: %w", err)
	}
	return nil
}
