package jwtkeys_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/golang-jwt/jwt/v5"

	"github.com/auris/jwtsecret/jwtkeys"
)

// demoSecret stands in for Secrets Manager in the examples, which cannot
// reach AWS. An app passes secretsmanager.NewFromConfig(cfg) instead.
type demoSecret struct {
	mu       sync.Mutex
	current  [2]string // version id, value
	previous [2]string
}

func (d *demoSecret) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := d.current
	if aws.ToString(in.VersionStage) == jwtkeys.StagePrevious {
		v = d.previous
	}
	if v[0] == "" {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such version")}
	}
	return &secretsmanager.GetSecretValueOutput{VersionId: aws.String(v[0]), SecretString: aws.String(v[1])}, nil
}

// rotate does what a finished rotation does to the labels.
func (d *demoSecret) rotate(id, value string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.previous, d.current = d.current, [2]string{id, value}
}

func Example() {
	ctx := context.Background()
	client := &demoSecret{current: [2]string{"version-1", "Qm9sZEx5R29pbmdXaGVyZU5vVG9rZW5IYXNHb25lQmVmb3JlMTIzNDU2Nzg5MA"}}

	// One Keys per process, made at start-up.
	keys, err := jwtkeys.New(client, "prod-auris-jwt-secret",
		jwtkeys.WithParserOptions(jwt.WithIssuer("auris"), jwt.WithAudience("app")))
	if err != nil {
		panic(err)
	}

	token, err := keys.Sign(ctx, jwt.RegisteredClaims{
		Issuer:    "auris",
		Audience:  jwt.ClaimStrings{"app"},
		Subject:   "alice",
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	})
	if err != nil {
		panic(err)
	}

	// Per request.
	var claims jwt.RegisteredClaims
	if _, err := keys.Verify(ctx, token, &claims); err != nil {
		panic(err)
	}
	fmt.Println("verified:", claims.Subject)

	// A rotation: the token's key is now AWSPREVIOUS, and still accepted.
	client.rotate("version-2", "TmV3VmFsdWVBZnRlclJvdGF0aW9uTm9ib2R5TG9nc091dEJlY2F1c2VPZkl0")
	if err := keys.Refresh(ctx); err != nil { // normally the TTL does this
		panic(err)
	}
	if _, err := keys.Verify(ctx, token, &claims); err != nil {
		panic(err)
	}
	fmt.Println("after one rotation:", claims.Subject)

	// A second rotation drops it.
	client.rotate("version-3", "VGhpcmRWYWx1ZVRoZU9yaWdpbmFsS2V5SXNOb3dHb25lRm9yR29vZDEyMzQ1Ng")
	if err := keys.Refresh(ctx); err != nil {
		panic(err)
	}
	_, err = keys.Verify(ctx, token, &claims)
	fmt.Println("after two rotations:", errors.Is(err, jwtkeys.ErrInvalidToken), errors.Is(err, jwtkeys.ErrUnknownKey))
	// Output:
	// verified: alice
	// after one rotation: alice
	// after two rotations: true true
}

// An HTTP handler tells a bad token (401) from keys it could not fetch
// (503).
func ExampleKeys_Verify() {
	client := &demoSecret{current: [2]string{"version-1", "Qm9sZEx5R29pbmdXaGVyZU5vVG9rZW5IYXNHb25lQmVmb3JlMTIzNDU2Nzg5MA"}}
	keys, err := jwtkeys.New(client, "prod-auris-jwt-secret")
	if err != nil {
		panic(err)
	}
	status := func(token string) int {
		_, err := keys.Verify(context.Background(), token, &jwt.RegisteredClaims{})
		switch {
		case err == nil:
			return 200
		case errors.Is(err, jwtkeys.ErrUnavailable):
			return 503
		default:
			return 401
		}
	}
	fmt.Println(status("not-a-token"))
	// Output: 401
}
