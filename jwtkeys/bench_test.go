package jwtkeys

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The benchmarks compare Keys, with its keys cached, against golang-jwt used
// directly with one fixed key: the same claims, the same parser options, a
// parser and a boxed key made once. scripts/bench-jwtkeys prints the ratios.

const (
	benchSecret = "0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHIJklmn" // 64 letters and digits, as the rotation makes
	benchKid    = "7f6c5d2e-9a41-4b7e-8c1d-3e2f1a0b9c8d"
)

func benchClaims() jwt.RegisteredClaims {
	now := time.Now()
	return jwt.RegisteredClaims{
		Issuer:    "auris",
		Subject:   "user-1234",
		Audience:  jwt.ClaimStrings{"app"},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(24 * time.Hour)),
	}
}

// benchKeys returns Keys whose cache holds benchSecret as AWSCURRENT (and
// another value as AWSPREVIOUS), fetched once.
func benchKeys(b *testing.B) *Keys {
	b.Helper()
	f := newFakeSM("previous-version", "previous-value-previous-value-previous-value-0123456789")
	f.rotate(benchKid, benchSecret)
	k, err := New(f, "bench-auris-jwt-secret", WithParserOptions(jwt.WithIssuer("auris"), jwt.WithAudience("app")))
	if err != nil {
		b.Fatal(err)
	}
	if err := k.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	return k
}

func plainParser() *jwt.Parser {
	return jwt.NewParser(jwt.WithExpirationRequired(), jwt.WithIssuer("auris"), jwt.WithAudience("app"),
		jwt.WithValidMethods([]string{"HS256"}))
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	k := benchKeys(b)
	token, err := k.Sign(ctx, benchClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var c jwt.RegisteredClaims
		if _, err := k.Verify(ctx, token, &c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPlainJWT(b *testing.B) {
	ctx := context.Background()
	token, err := benchKeys(b).Sign(ctx, benchClaims()) // the same token bytes
	if err != nil {
		b.Fatal(err)
	}
	p := plainParser()
	var key any = []byte(benchSecret)
	keyfunc := func(*jwt.Token) (any, error) { return key, nil }
	b.ReportAllocs()
	for b.Loop() {
		var c jwt.RegisteredClaims
		if _, err := p.ParseWithClaims(token, &c, keyfunc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	k := benchKeys(b)
	claims := benchClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Sign(ctx, claims); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignPlainJWT signs the same claims with the same header, kid
// included, so the two produce the same bytes.
func BenchmarkSignPlainJWT(b *testing.B) {
	claims := benchClaims()
	key := []byte(benchSecret)
	b.ReportAllocs()
	for b.Loop() {
		t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		t.Header["kid"] = benchKid
		if _, err := t.SignedString(key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeyLookup is what Keys adds to a Verify with cached keys: the
// freshness check of the cache and the keyfunc's lookup by kid.
func BenchmarkKeyLookup(b *testing.B) {
	ctx := context.Background()
	k := benchKeys(b)
	token, err := k.Sign(ctx, benchClaims())
	if err != nil {
		b.Fatal(err)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(token, &jwt.RegisteredClaims{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := k.keys(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.keyfunc(parsed); err != nil {
			b.Fatal(err)
		}
	}
}
