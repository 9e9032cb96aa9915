package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/auris/jwtsecret/jwtkeys"
)

// fakeSecret serves AWSCURRENT and AWSPREVIOUS, and can rotate or fail.
type fakeSecret struct {
	mu       sync.Mutex
	versions map[string][2]string // stage -> version id, value
	err      error
}

func newFakeSecret() *fakeSecret {
	return &fakeSecret{versions: map[string][2]string{
		jwtkeys.StageCurrent: {"version-1", strings.Repeat("k1", 32)},
	}}
}

func (f *fakeSecret) rotate(id, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.versions[jwtkeys.StagePrevious] = f.versions[jwtkeys.StageCurrent]
	f.versions[jwtkeys.StageCurrent] = [2]string{id, value}
}

func (f *fakeSecret) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	v, ok := f.versions[aws.ToString(in.VersionStage)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("not found")}
	}
	return &secretsmanager.GetSecretValueOutput{VersionId: aws.String(v[0]), SecretString: aws.String(v[1])}, nil
}

func testApp(t *testing.T, f *fakeSecret, env map[string]string) *app {
	t.Helper()
	if env == nil {
		env = map[string]string{"SECRET_ID": "test-auris-jwt-secret"}
	}
	a, err := newApp(f, func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func request(method, path, body string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	r := events.APIGatewayV2HTTPRequest{RawPath: path, Body: body, Headers: headers}
	r.RequestContext.HTTP.Method = method
	return r
}

func call(t *testing.T, a *app, r events.APIGatewayV2HTTPRequest) (int, map[string]any) {
	t.Helper()
	resp, err := a.handle(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	return resp.StatusCode, body
}

func issue(t *testing.T, a *app, sub string) string {
	t.Helper()
	status, body := call(t, a, request(http.MethodPost, "/token", `{"sub":"`+sub+`"}`, nil))
	if status != http.StatusOK {
		t.Fatalf("POST /token: %d %v", status, body)
	}
	return body["token"].(string)
}

func me(t *testing.T, a *app, auth string) (int, map[string]any) {
	t.Helper()
	return call(t, a, request(http.MethodGet, "/me", "", map[string]string{"authorization": auth}))
}

func TestIssueAndVerify(t *testing.T) {
	f := newFakeSecret()
	a := testApp(t, f, nil)
	token := issue(t, a, "alice")
	status, body := me(t, a, "Bearer "+token)
	if status != http.StatusOK || body["sub"] != "alice" {
		t.Fatalf("GET /me: %d %v", status, body)
	}
	// Survives a rotation, seen by this process at its next refresh.
	f.rotate("version-2", strings.Repeat("k2", 32))
	if err := a.keys.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if status, body := me(t, a, "Bearer "+token); status != http.StatusOK {
		t.Fatalf("GET /me after a rotation: %d %v", status, body)
	}
}

func TestRejections(t *testing.T) {
	f := newFakeSecret()
	a := testApp(t, f, nil)
	token := issue(t, a, "alice")
	other := testApp(t, f, map[string]string{"SECRET_ID": "test-auris-jwt-secret", "TOKEN_AUDIENCE": "admin"})
	for _, c := range []struct {
		name string
		a    *app
		auth string
		want int
	}{
		{"no header", a, "", http.StatusUnauthorized},
		{"not bearer", a, "Basic " + token, http.StatusUnauthorized},
		{"garbage", a, "Bearer abc.def.ghi", http.StatusUnauthorized},
		{"tampered", a, "Bearer " + token[:len(token)-3] + "AAA", http.StatusUnauthorized},
		{"other audience", other, "Bearer " + token, http.StatusUnauthorized},
	} {
		if status, body := me(t, c.a, c.auth); status != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, status, body, c.want)
		}
	}
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPost, "/token", "", http.StatusBadRequest},
		{http.MethodPost, "/token", `{"sub":""}`, http.StatusBadRequest},
		{http.MethodGet, "/token", "", http.StatusMethodNotAllowed},
		{http.MethodGet, "/nope", "", http.StatusNotFound},
	} {
		if status, body := call(t, a, request(c.method, c.path, c.body, nil)); status != c.want {
			t.Errorf("%s %s %q: %d %v, want %d", c.method, c.path, c.body, status, body, c.want)
		}
	}
}

func TestUnavailableIs503(t *testing.T) {
	f := newFakeSecret()
	f.err = errors.New("connection refused")
	a := testApp(t, f, nil)
	if status, body := call(t, a, request(http.MethodPost, "/token", `{"sub":"alice"}`, nil)); status != http.StatusServiceUnavailable {
		t.Fatalf("POST /token without Secrets Manager: %d %v", status, body)
	}
	if status, body := me(t, a, "Bearer a.b.c"); status != http.StatusServiceUnavailable {
		t.Fatalf("GET /me without Secrets Manager: %d %v", status, body)
	}
}

func TestConfiguration(t *testing.T) {
	f := newFakeSecret()
	for _, env := range []map[string]string{
		{},
		{"SECRET_ID": "s", "TOKEN_LIFETIME": "forever"},
		{"SECRET_ID": "s", "TOKEN_LIFETIME": "48h"},
		{"SECRET_ID": "s", "TOKEN_LIFETIME": "-1m"},
	} {
		if _, err := newApp(f, func(k string) string { return env[k] }, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("newApp accepted %v", env)
		}
	}
	a := testApp(t, f, map[string]string{"SECRET_ID": "s", "TOKEN_LIFETIME": "15m"})
	if a.lifetime != 15*time.Minute {
		t.Fatalf("lifetime %s", a.lifetime)
	}
}
