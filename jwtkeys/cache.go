package jwtkeys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/golang-jwt/jwt/v5"
)

// key is one version of the secret.
type key struct {
	id     string // VersionId, the kid of the tokens it signs
	secret []byte
}

// snapshot is one fetch's keys. It is never modified once stored, so Sign
// and Verify read it without locking; everything the keyfunc returns is
// boxed here once, so that looking a key up allocates nothing.
type snapshot struct {
	seq      uint64    // fetches are numbered in the order they start
	fetched  time.Time // when the fetch started
	current  key
	previous *key // nil when the secret has no AWSPREVIOUS version

	currentKid  any // current.id, for Sign's header
	currentKey  any // current.secret
	previousKey any // previous.secret
	eitherKey   any // for a token without kid: current, then previous
	keyfunc     jwt.Keyfunc
}

func newSnapshot(seq uint64, fetched time.Time, cur, prev *key) *snapshot {
	s := &snapshot{seq: seq, fetched: fetched, current: *cur, previous: prev, currentKid: cur.id, currentKey: cur.secret}
	s.eitherKey = s.currentKey
	if prev != nil {
		s.previousKey = prev.secret
		s.eitherKey = jwt.VerificationKeySet{Keys: []jwt.VerificationKey{cur.secret, prev.secret}}
	}
	s.keyfunc = s.lookup
	return s
}

// lookup is the jwt.Keyfunc: the key the token's kid names.
func (s *snapshot) lookup(t *jwt.Token) (any, error) {
	kid, ok := t.Header["kid"]
	if !ok {
		return s.eitherKey, nil
	}
	id, ok := kid.(string)
	if !ok {
		return nil, errKidNotString
	}
	if id == s.current.id {
		return s.currentKey, nil
	}
	if s.previous != nil && id == s.previous.id {
		return s.previousKey, nil
	}
	return nil, ErrUnknownKey
}

func (s *snapshot) previousID() string {
	if s.previous == nil {
		return ""
	}
	return s.previous.id
}

// sameVersions reports whether s and o hold the same versions. A version's
// value never changes, so the ids say it all.
func (s *snapshot) sameVersions(o *snapshot) bool {
	return s != nil && o != nil && s.current.id == o.current.id && s.previousID() == o.previousID()
}

// flightKey names the one fetch that concurrent callers share.
const flightKey = "keys"

// keys returns the keys to use now:
//
//   - younger than the TTL: as they are;
//   - up to the TTL + the stale-while-revalidate window: as they are, after
//     starting a background refresh;
//   - older: after waiting for a fetch; if it fails, the cached keys while
//     they are within the maximum staleness (stale-if-error), else ErrStale.
//     While the last fetch failed and background refreshes are allowed, a
//     background refresh replaces the wait, so that an outage does not make
//     callers wait for fetches that are likely to fail.
//
// Without keys, the caller waits for a fetch; if it fails, ErrUnavailable.
func (k *Keys) keys(ctx context.Context) (*snapshot, error) {
	s := k.snap.Load()
	if s == nil {
		fresh, err := k.loadWaiting(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return fresh, nil
	}
	age := k.opts.now().Sub(s.fetched)
	if age < k.opts.ttl {
		return s, nil
	}
	if age < k.opts.ttl+k.opts.staleWhileRevalidate && age <= k.opts.maxStaleness {
		k.refreshInBackground(s)
		return s, nil
	}
	return k.revalidate(ctx, s, age)
}

// revalidate is keys past the stale-while-revalidate window.
func (k *Keys) revalidate(ctx context.Context, s *snapshot, age time.Duration) (*snapshot, error) {
	usable := age <= k.opts.maxStaleness
	if usable && k.opts.staleWhileRevalidate > 0 {
		k.mu.Lock()
		failing := !k.lastFailure.IsZero()
		k.mu.Unlock()
		if failing {
			k.refreshInBackground(s)
			return s, nil
		}
	}
	fresh, err := k.loadWaiting(ctx, s)
	if err == nil {
		return fresh, nil
	}
	if usable {
		return s, nil // stale-if-error: the failure is logged by record
	}
	return nil, fmt.Errorf("%w: fetched %s ago, maximum %s: %w", ErrStale, age, k.opts.maxStaleness, err)
}

// loadWaiting fetches and waits, unless the last fetch failed less than the
// retry interval ago. old is the cached snapshot, if any.
func (k *Keys) loadWaiting(ctx context.Context, old *snapshot) (*snapshot, error) {
	k.mu.Lock()
	backingOff, lastErr := k.backingOffLocked(), k.lastErr
	k.mu.Unlock()
	if backingOff {
		return nil, fmt.Errorf("not retrying yet, the last fetch failed less than %s ago: %w", k.opts.retryInterval, lastErr)
	}
	return k.load(ctx, old, false)
}

// backingOffLocked reports whether the last fetch failed less than the retry
// interval ago. k.mu is held.
func (k *Keys) backingOffLocked() bool {
	return !k.lastFailure.IsZero() && k.opts.now().Sub(k.lastFailure) < k.opts.retryInterval
}

// refreshInBackground starts a fetch that no caller waits for, to replace
// old, unless one is running, old is already replaced, or the last fetch
// failed less than the retry interval ago.
func (k *Keys) refreshInBackground(old *snapshot) {
	k.mu.Lock()
	if k.refreshing || k.backingOffLocked() || k.snap.Load() != old {
		k.mu.Unlock()
		return
	}
	k.refreshing = true
	k.bg.Add(1)
	k.bgStarted.Add(1)
	k.mu.Unlock()
	go func() {
		defer k.bg.Done()
		_, _ = k.load(context.Background(), old, false) // the outcome is recorded and logged by load
		k.mu.Lock()
		k.refreshing = false
		k.mu.Unlock()
	}()
}

// refetchForUnknownKey is Verify's answer to a token whose kid used (the
// snapshot it was checked against) does not know. It returns newer keys to
// check the token against again, or nil: when they are the same versions,
// when the fetch fails, or when an unknown key id already caused a fetch
// less than the unknown-key interval ago (a caller that comes while that
// fetch runs waits for it).
func (k *Keys) refetchForUnknownKey(ctx context.Context, used *snapshot) *snapshot {
	if s := k.snap.Load(); !s.sameVersions(used) {
		return s // someone else refreshed in the meantime
	}
	k.mu.Lock()
	now := k.opts.now()
	if !k.lastUnknown.IsZero() && now.Sub(k.lastUnknown) < k.opts.unknownKeyInterval {
		done := k.unknownDone
		k.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil
		}
		if s := k.snap.Load(); !s.sameVersions(used) {
			return s
		}
		return nil
	}
	k.lastUnknown = now
	done := make(chan struct{})
	k.unknownDone = done
	k.mu.Unlock()
	defer close(done)
	// A fresh fetch: one that is already running may have started before
	// the rotation that made this kid.
	k.flight.Forget(flightKey)
	s, err := k.load(ctx, nil, true)
	if err != nil || s.sameVersions(used) {
		return nil
	}
	return s
}

// load runs a fetch, or joins the one running, and waits for it until ctx
// ends. The fetch itself is bounded by the fetch timeout, not by ctx: other
// callers may be waiting for it. Unless force is set, a fetch that finds
// old already replaced by keys within their TTL (a fetch that finished
// after the caller looked) returns those instead of calling Secrets
// Manager.
func (k *Keys) load(ctx context.Context, old *snapshot, force bool) (*snapshot, error) {
	ch := k.flight.DoChan(flightKey, func() (any, error) {
		if cur := k.snap.Load(); !force && cur != nil && cur != old && k.opts.now().Sub(cur.fetched) < k.opts.ttl {
			return cur, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.opts.fetchTimeout)
		defer cancel()
		s, err := k.fetch(fctx)
		k.record(s, err)
		if err != nil {
			return nil, err
		}
		return s, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*snapshot), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the keys of secret %s: %w", k.secretID, context.Cause(ctx))
	}
}

// record stores a fetched snapshot, unless one from a later fetch is already
// there, or notes the failure.
func (k *Keys) record(s *snapshot, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		k.lastFailure, k.lastErr = k.opts.now(), err
		k.log.Warn("fetching signing keys failed; cached keys, if any, stay in use", "error", err.Error())
		return
	}
	k.lastFailure, k.lastErr = time.Time{}, nil
	old := k.snap.Load()
	if old != nil && old.seq > s.seq {
		return
	}
	k.snap.Store(s)
	if !s.sameVersions(old) {
		k.log.Info("signing keys loaded", "currentVersion", s.current.id, "previousVersion", s.previousID())
	}
}

// fetch reads AWSCURRENT, then AWSPREVIOUS (absent: no previous key).
func (k *Keys) fetch(ctx context.Context) (*snapshot, error) {
	started := k.opts.now()
	seq := k.seq.Add(1)
	cur, err := k.read(ctx, StageCurrent)
	if err != nil {
		return nil, err
	}
	prev, err := k.read(ctx, StagePrevious)
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		prev, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if prev != nil && prev.id == cur.id {
		// A rotation finished between the two reads: the version read as
		// AWSCURRENT is now AWSPREVIOUS. Read the new AWSCURRENT.
		if cur, err = k.read(ctx, StageCurrent); err != nil {
			return nil, err
		}
		if cur.id == prev.id {
			return nil, fmt.Errorf("secret %s: version %s is both AWSCURRENT and AWSPREVIOUS", k.secretID, cur.id)
		}
	}
	return newSnapshot(seq, started, cur, prev), nil
}

// read reads the version of the secret that carries stage. Its errors name
// the secret, the stage and the version, never the value.
func (k *Keys) read(ctx context.Context, stage string) (*key, error) {
	out, err := k.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId:     aws.String(k.secretID),
		VersionStage: aws.String(stage),
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s of secret %s: %w", stage, k.secretID, err)
	}
	id := aws.ToString(out.VersionId)
	if id == "" {
		return nil, fmt.Errorf("reading %s of secret %s: the answer has no VersionId", stage, k.secretID)
	}
	var secret []byte
	if out.SecretString != nil {
		secret = []byte(*out.SecretString)
	} else {
		secret = bytes.Clone(out.SecretBinary)
	}
	if len(secret) < MinKeyLength {
		return nil, fmt.Errorf("%s version %s of secret %s is %d bytes long, want at least %d", stage, id, k.secretID, len(secret), MinKeyLength)
	}
	return &key{id: id, secret: secret}, nil
}
