// Command applambda is an example app Lambda (API Gateway HTTP API, payload
// format 2.0) that issues and verifies JWTs with package jwtkeys, so that
// rotations of the signing secret log nobody out.
//
//	POST /token   {"sub":"alice"}           -> 200 {"token":"...","expiresAt":...}
//	GET  /me      Authorization: Bearer ... -> 200 {"sub":"alice","expiresAt":...} or 401
//
// A Secrets Manager outage is a 503, never a 401. Environment:
//
//	SECRET_ID       the secret's ARN or name (stack output secretArn); required
//	TOKEN_ISSUER    iss of the tokens (default auris)
//	TOKEN_AUDIENCE  aud of the tokens (default auris-app)
//	TOKEN_LIFETIME  how long a token is valid, at most 24h (default 1h)
//
// The function's role needs the stack's reader policy (output
// readerPolicyArn). Build it like the rotation function:
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -trimpath -tags lambda.norpc -o bootstrap ./examples/applambda
//
// POST /token issues a token for any subject it is given: a real app
// authenticates the caller first (password, OAuth code, ...). Do not deploy
// this example as it is.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/golang-jwt/jwt/v5"

	"github.com/auris/jwtsecret/jwtkeys"
)

// maxLifetime caps TOKEN_LIFETIME: with the 5-minute cache TTL it keeps
// TTL + token lifetime far below the 180-day rotation interval.
const maxLifetime = 24 * time.Hour

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Error("loading AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	a, err := newApp(secretsmanager.NewFromConfig(cfg), os.Getenv, log)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	// Fetch during the init phase; on failure the first requests retry.
	warm, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := a.keys.Refresh(warm); err != nil {
		log.Warn("could not fetch the signing keys at start-up", "error", err.Error())
	}
	cancel()
	lambda.Start(a.handle)
}

// app is the function's state: one jwtkeys.Keys per process.
type app struct {
	keys     *jwtkeys.Keys
	issuer   string
	audience string
	lifetime time.Duration
	now      func() time.Time
	log      *slog.Logger
}

func newApp(client jwtkeys.Client, getenv func(string) string, log *slog.Logger, opts ...jwtkeys.Option) (*app, error) {
	secretID := getenv("SECRET_ID")
	if secretID == "" {
		return nil, errors.New("SECRET_ID is not set: set it to the stack output secretArn")
	}
	a := &app{
		issuer:   envOr(getenv, "TOKEN_ISSUER", "auris"),
		audience: envOr(getenv, "TOKEN_AUDIENCE", "auris-app"),
		lifetime: time.Hour,
		now:      time.Now,
		log:      log,
	}
	if s := getenv("TOKEN_LIFETIME"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > maxLifetime {
			return nil, fmt.Errorf("TOKEN_LIFETIME %q is invalid: want a duration above 0 and at most %s", s, maxLifetime)
		}
		a.lifetime = d
	}
	opts = append([]jwtkeys.Option{
		jwtkeys.WithLogger(log),
		jwtkeys.WithParserOptions(jwt.WithIssuer(a.issuer), jwt.WithAudience(a.audience), jwt.WithLeeway(30*time.Second)),
	}, opts...)
	keys, err := jwtkeys.New(client, secretID, opts...)
	if err != nil {
		return nil, err
	}
	a.keys = keys
	return a, nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func (a *app) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	method, path := req.RequestContext.HTTP.Method, req.RawPath
	switch {
	case path == "/token" && method == http.MethodPost:
		return a.issue(ctx, req), nil
	case path == "/me" && method == http.MethodGet:
		return a.me(ctx, req), nil
	case path == "/token" || path == "/me":
		return reply(http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"}), nil
	}
	return reply(http.StatusNotFound, map[string]string{"error": "not found"}), nil
}

type issueRequest struct {
	Subject string `json:"sub"`
}

func (a *app) issue(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	var in issueRequest
	if req.IsBase64Encoded || json.Unmarshal([]byte(req.Body), &in) != nil || in.Subject == "" {
		return reply(http.StatusBadRequest, map[string]string{"error": `want a JSON body {"sub":"..."}`})
	}
	now := a.now()
	exp := now.Add(a.lifetime)
	token, err := a.keys.Sign(ctx, jwt.RegisteredClaims{
		Issuer:    a.issuer,
		Audience:  jwt.ClaimStrings{a.audience},
		Subject:   in.Subject,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
		ID:        rand.Text(),
	})
	if err != nil {
		return a.failure(err)
	}
	return reply(http.StatusOK, map[string]any{"token": token, "expiresAt": exp.Unix()})
}

func (a *app) me(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	token, ok := bearer(req.Headers)
	if !ok {
		return unauthorized()
	}
	var claims jwt.RegisteredClaims
	if _, err := a.keys.Verify(ctx, token, &claims); err != nil {
		if errors.Is(err, jwtkeys.ErrUnavailable) {
			return a.failure(err)
		}
		a.log.InfoContext(ctx, "rejected token", "error", err.Error())
		return unauthorized()
	}
	return reply(http.StatusOK, map[string]any{"sub": claims.Subject, "expiresAt": claims.ExpiresAt.Unix()})
}

// failure answers an error that is not the caller's: 503 when the keys
// could not be fetched.
func (a *app) failure(err error) events.APIGatewayV2HTTPResponse {
	a.log.Error("signing keys", "error", err.Error())
	if errors.Is(err, jwtkeys.ErrUnavailable) {
		return reply(http.StatusServiceUnavailable, map[string]string{"error": "temporarily unavailable"})
	}
	return reply(http.StatusInternalServerError, map[string]string{"error": "internal error"})
}

// bearer returns the token of an "Authorization: Bearer" header (API
// Gateway lower-cases header names; others may not).
func bearer(headers map[string]string) (string, bool) {
	for name, value := range headers {
		if !strings.EqualFold(name, "authorization") {
			continue
		}
		scheme, token, ok := strings.Cut(strings.TrimSpace(value), " ")
		token = strings.TrimSpace(token)
		if ok && strings.EqualFold(scheme, "Bearer") && token != "" {
			return token, true
		}
	}
	return "", false
}

func unauthorized() events.APIGatewayV2HTTPResponse {
	r := reply(http.StatusUnauthorized, map[string]string{"error": "invalid or missing token"})
	r.Headers["WWW-Authenticate"] = `Bearer error="invalid_token"`
	return r
}

func reply(status int, body any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(body) // maps of strings and numbers always marshal
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
		Body:       string(b),
	}
}
