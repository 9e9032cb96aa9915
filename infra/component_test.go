package infra

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/auris/jwtsecret/infra/infratest"
	"github.com/auris/jwtsecret/naming"
)

// Type tokens of everything the program registers.
const (
	typeRandomPassword = "random:index/randomPassword:RandomPassword"
	typeSecret         = "aws:secretsmanager/secret:Secret"
	typeSecretVersion  = "aws:secretsmanager/secretVersion:SecretVersion"
	typeSecretRotation = "aws:secretsmanager/secretRotation:SecretRotation"
	typeLogGroup       = "aws:cloudwatch/logGroup:LogGroup"
	typeRole           = "aws:iam/role:Role"
	typeRolePolicy     = "aws:iam/rolePolicy:RolePolicy"
	typePolicy         = "aws:iam/policy:Policy"
	typeAttachment     = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typeFunction       = "aws:lambda/function:Function"
	typePermission     = "aws:lambda/permission:Permission"
)

var (
	bundleOnce sync.Once
	bundleDir  string
	bundle     *LambdaBundle
	bundleErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bundleDir != "" {
		os.RemoveAll(bundleDir)
	}
	os.Exit(code)
}

// sharedBundle builds the rotation function once per test binary for the
// tests that are not about the build.
func sharedBundle(t *testing.T) *LambdaBundle {
	t.Helper()
	bundleOnce.Do(func() {
		bundleDir, bundleErr = os.MkdirTemp("", "jwtsecret-test-lambda-")
		if bundleErr != nil {
			return
		}
		bundle, bundleErr = BuildRotator(context.Background(), BuildOptions{ArtifactDir: bundleDir})
	})
	if bundleErr != nil {
		t.Fatalf("building the rotation function: %v", bundleErr)
	}
	return bundle
}

// runProgram runs ParseArgs + NewJwtSecret against mocks with the given
// stack configuration; edit, if set, changes the parsed args.
func runProgram(t *testing.T, stack string, cfg map[string]string, edit func(*JwtSecretArgs)) (*infratest.Mocks, *JwtSecret, error) {
	t.Helper()
	region := cfg["aws:region"]
	if region == "" {
		region = "us-east-1"
	}
	mocks := infratest.New(testProject, stack, region)
	var jwt *JwtSecret
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		args, err := ParseArgs(ctx.Project(), ctx.Stack(), ctx.GetConfig)
		if err != nil {
			return err
		}
		args.Rotator = sharedBundle(t)
		if edit != nil {
			edit(args)
		}
		jwt, err = NewJwtSecret(ctx, "jwt", args)
		return err
	}, pulumi.WithMocks(testProject, stack, mocks), infratest.Config(cfg))
	return mocks, jwt, err
}

func await(t *testing.T, o pulumi.Output) (value any, secret bool) {
	t.Helper()
	r, err := internals.UnsafeAwaitOutput(context.Background(), o)
	if err != nil {
		t.Fatalf("awaiting an output: %v", err)
	}
	if !r.Known {
		t.Fatal("output is unknown")
	}
	return r.Value, r.Secret
}

// plain unwraps secrets and returns the Go value of a property.
func plain(v resource.PropertyValue) any {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v.Mappable()
}

func str(r *infratest.Registered, key string) string {
	s, _ := plain(r.Inputs[resource.PropertyKey(key)]).(string)
	return s
}

func one(t *testing.T, m *infratest.Mocks, typ string) *infratest.Registered {
	t.Helper()
	rs := m.ByType(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	return rs[0]
}

func dependsOn(r, on *infratest.Registered) bool {
	return slices.Contains(r.RPC.GetDependencies(), on.URN)
}

func protected(r *infratest.Registered) bool {
	return r.RPC.Protect != nil && *r.RPC.Protect
}

func TestStacks(t *testing.T) {
	for _, tc := range []struct {
		stack       string
		readerRoles string
		protect     bool
		recovery    int
	}{
		{stack: "dev", protect: false, recovery: 7},
		{stack: "prod", readerRoles: `["api-prod","worker-prod"]`, protect: true, recovery: 30},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			cfg := loadStackConfig(t, tc.stack)
			cfg["auris-jwtsecret:tags"] = `{"Team":"identity"}`
			if tc.readerRoles != "" {
				cfg["auris-jwtsecret:readerRoles"] = tc.readerRoles
			}
			m, jwt, err := runProgram(t, tc.stack, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkStack(t, m, jwt, tc.stack, tc.protect, tc.recovery)
		})
	}
}

func checkStack(t *testing.T, m *infratest.Mocks, jwt *JwtSecret, stage string, protect bool, recovery int) {
	secretName := naming.SecretName(stage)
	fnName := naming.RotationFunctionName(stage)
	roles := []string(nil)
	if stage == "prod" {
		roles = []string{"api-prod", "worker-prod"}
	}

	// Exactly these resources, all children of the component.
	component := one(t, m, ComponentType)
	var got []string
	for _, r := range m.Resources() {
		got = append(got, r.Type+"::"+r.Name)
		if r != component && r.RPC.GetParent() != component.URN {
			t.Errorf("%s is not a child of the component", r.URN)
		}
	}
	want := []string{
		ComponentType + "::jwt",
		typeRandomPassword + "::jwt-value",
		typeSecret + "::jwt-secret",
		typeSecretVersion + "::jwt-version",
		typePolicy + "::jwt-reader",
		typeLogGroup + "::jwt-rotation-logs",
		typeRole + "::jwt-rotation-role",
		typeRolePolicy + "::jwt-rotation-policy",
		typeFunction + "::jwt-rotation",
		typePermission + "::jwt-rotation-invoke",
		typeSecretRotation + "::jwt-rotation-schedule",
	}
	for _, role := range roles {
		want = append(want, typeAttachment+"::jwt-reader-"+role)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("registered:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	password := one(t, m, typeRandomPassword)
	secret := one(t, m, typeSecret)
	version := one(t, m, typeSecretVersion)
	rotation := one(t, m, typeSecretRotation)
	logGroup := one(t, m, typeLogGroup)
	role := one(t, m, typeRole)
	rolePolicy := one(t, m, typeRolePolicy)
	policy := one(t, m, typePolicy)
	fn := one(t, m, typeFunction)
	permission := one(t, m, typePermission)
	secretArn := secret.ID
	logGroupArn := plain(logGroup.Outputs["arn"]).(string)
	fnArn := plain(fn.Outputs["arn"]).(string)

	// The value: letters and digits of the configured length, kept by
	// generation only.
	if got := plain(password.Inputs["length"]); got != float64(64) {
		t.Errorf("RandomPassword length %v", got)
	}
	for k, want := range map[string]bool{"upper": true, "lower": true, "numeric": true, "special": false} {
		if got := plain(password.Inputs[resource.PropertyKey(k)]); got != want {
			t.Errorf("RandomPassword %s = %v, want %v", k, got, want)
		}
	}
	if got := plain(password.Inputs["keepers"]); !reflect.DeepEqual(got, map[string]any{"generation": "1"}) {
		t.Errorf("RandomPassword keepers %v, want only generation", got)
	}

	// The secret.
	if str(secret, "name") != secretName || plain(secret.Inputs["recoveryWindowInDays"]) != float64(recovery) {
		t.Errorf("Secret inputs %v", secret.Inputs)
	}
	if _, ok := secret.Inputs["kmsKeyId"]; ok {
		t.Error("Secret has a KMS key; readers' policies assume the AWS-managed key")
	}

	// The version: the random value, no stages, rotation-proof options.
	if str(version, "secretId") != secretArn {
		t.Errorf("SecretVersion secretId %q, want the secret %q", str(version, "secretId"), secretArn)
	}
	if !version.Inputs["secretString"].IsSecret() {
		t.Error("SecretVersion secretString is not marked secret")
	}
	if plain(version.Inputs["secretString"]) != plain(password.Outputs["result"]) {
		t.Error("SecretVersion does not hold the RandomPassword's result")
	}
	if _, ok := version.Inputs["versionStages"]; ok {
		t.Error("SecretVersion sets versionStages: an update would move AWSCURRENT back from a rotated version")
	}
	if !reflect.DeepEqual(version.RPC.GetIgnoreChanges(), []string{"versionStages"}) {
		t.Errorf("SecretVersion ignoreChanges %v, want [versionStages]", version.RPC.GetIgnoreChanges())
	}
	if version.RPC.RetainOnDelete == nil || !*version.RPC.RetainOnDelete {
		t.Error("SecretVersion is not retainOnDelete: replacing it would strip AWSPREVIOUS")
	}
	if got := version.RPC.GetHooks().GetBeforeCreate(); !reflect.DeepEqual(got, []string{"jwt-version-needs-fresh-value"}) {
		t.Errorf("SecretVersion before-create hooks %v, want the version guard", got)
	}
	if got := password.RPC.GetHooks().GetBeforeCreate(); !reflect.DeepEqual(got, []string{"jwt-value-generated"}) {
		t.Errorf("RandomPassword before-create hooks %v, want the value-generated hook", got)
	}

	// Protection: exactly the resources that hold or guard the secret, and
	// not the two a regeneration replaces.
	for _, r := range m.Resources() {
		holds := slices.Contains([]string{typeSecret, typeSecretRotation}, r.Type)
		if got := protected(r); got != (protect && holds) {
			t.Errorf("%s protected = %v, want %v", r.Name, got, protect && holds)
		}
	}

	// The rotation.
	if str(rotation, "secretId") != secretArn || str(rotation, "rotationLambdaArn") != fnArn {
		t.Errorf("SecretRotation inputs %v", rotation.Inputs)
	}
	if plain(rotation.Inputs["rotateImmediately"]) != false {
		t.Error("rotateImmediately is not false: the first value would be replaced right away")
	}
	if got := plain(rotation.Inputs["rotationRules"]); !reflect.DeepEqual(got, map[string]any{"automaticallyAfterDays": float64(180)}) {
		t.Errorf("rotationRules %v", got)
	}
	if !dependsOn(rotation, version) || !dependsOn(rotation, permission) || !dependsOn(rotation, fn) {
		t.Errorf("SecretRotation depends on %v; want the version, the permission and the function", rotation.RPC.GetDependencies())
	}

	// The function.
	for k, want := range map[string]any{
		"name": fnName, "runtime": "provided.al2023", "handler": "bootstrap", "architectures": []any{"arm64"},
		"memorySize": float64(128), "timeout": float64(30), "role": plain(role.Outputs["arn"]),
		"environment": map[string]any{"variables": map[string]any{"SECRET_LENGTH": "64"}},
	} {
		if got := plain(fn.Inputs[resource.PropertyKey(k)]); !reflect.DeepEqual(got, want) {
			t.Errorf("Function %s = %#v, want %#v", k, got, want)
		}
	}
	code := fn.Inputs["code"]
	if !code.IsArchive() || code.ArchiveValue().Path == "" {
		t.Fatalf("Function code is %v, want the zip as a file archive", code)
	}
	zipped := checkBundle(t, &LambdaBundle{ZipPath: code.ArchiveValue().Path, SourceCodeHash: str(fn, "sourceCodeHash")})
	sum := sha256.Sum256(zipped)
	if str(fn, "sourceCodeHash") != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Error("sourceCodeHash is not the hash of the deployed zip")
	}
	if !dependsOn(fn, logGroup) || !dependsOn(fn, rolePolicy) {
		t.Errorf("Function depends on %v; want its log group and its role policy", fn.RPC.GetDependencies())
	}

	// Log group, role and its policy.
	if str(logGroup, "name") != "/aws/lambda/"+fnName || plain(logGroup.Inputs["retentionInDays"]) != float64(90) {
		t.Errorf("LogGroup inputs %v", logGroup.Inputs)
	}
	if str(role, "name") != fnName {
		t.Errorf("Role name %q, want %q", str(role, "name"), fnName)
	}
	checkAssumeRolePolicy(t, str(role, "assumeRolePolicy"))
	if str(rolePolicy, "role") != fnName {
		t.Errorf("RolePolicy on role %q", str(rolePolicy, "role"))
	}
	checkRotationPolicy(t, str(rolePolicy, "policy"), secretArn, logGroupArn)
	for _, r := range m.Resources() {
		if r.Type == typeRole || r.Type == typeRolePolicy {
			continue
		}
		if _, ok := r.Inputs["managedPolicyArns"]; ok {
			t.Errorf("%s attaches managed policies", r.Name)
		}
	}

	// Invoke permission: Secrets Manager of this account, for this secret.
	for k, want := range map[string]string{
		"function": fnName, "action": "lambda:InvokeFunction", "principal": "secretsmanager.amazonaws.com",
		"sourceAccount": infratest.AccountID, "sourceArn": secretArn,
	} {
		if got := str(permission, k); got != want {
			t.Errorf("Permission %s = %q, want %q", k, got, want)
		}
	}

	// Reader access.
	if str(policy, "name") != secretName+"-reader" {
		t.Errorf("reader policy name %q", str(policy, "name"))
	}
	checkReaderPolicy(t, str(policy, "policy"), secretArn)
	var attached []string
	for _, a := range m.ByType(typeAttachment) {
		if str(a, "policyArn") != policy.ID {
			t.Errorf("%s attaches %q, want the reader policy", a.Name, str(a, "policyArn"))
		}
		attached = append(attached, str(a, "role"))
	}
	slices.Sort(attached)
	if !reflect.DeepEqual(attached, roles) {
		t.Errorf("reader policy attached to %v, want %v", attached, roles)
	}

	// Tags: every taggable resource, base tags with the stack's on top.
	wantTags := map[string]any{"Project": testProject, "Stage": stage, "ManagedBy": "pulumi", "Team": "identity"}
	var tagged []string
	for _, r := range m.Resources() {
		if v, ok := r.Inputs["tags"]; ok {
			tagged = append(tagged, r.Type)
			if !reflect.DeepEqual(plain(v), wantTags) {
				t.Errorf("%s tags %v, want %v", r.Name, plain(v), wantTags)
			}
		}
	}
	slices.Sort(tagged)
	if want := []string{typeLogGroup, typePolicy, typeRole, typeSecret, typeFunction}; !reflect.DeepEqual(tagged, slices.Sorted(slices.Values(want))) {
		t.Errorf("tagged %v, want every taggable resource %v", tagged, want)
	}

	// Outputs.
	wantOutputs := map[string]any{
		"stage": stage, "region": "us-east-1", "secretName": secretName, "secretArn": secretArn,
		"secretVersionId": plain(version.Outputs["versionId"]), "rotationLambdaArn": fnArn,
		"rotationDays": 180, "readerPolicyArn": policy.ID,
	}
	outs := jwt.Outputs()
	if !reflect.DeepEqual(slices.Sorted(maps.Keys(outs)), slices.Sorted(maps.Keys(wantOutputs))) {
		t.Fatalf("outputs %v, want %v", slices.Sorted(maps.Keys(outs)), slices.Sorted(maps.Keys(wantOutputs)))
	}
	for k, want := range wantOutputs {
		got, secret := await(t, pulumi.ToOutput(outs[k]))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("output %s = %#v, want %#v", k, got, want)
		}
		if secret {
			t.Errorf("output %s is secret; no output should carry the value", k)
		}
	}
	if !slices.Contains(m.Calls(), "aws:index/getCallerIdentity:getCallerIdentity") {
		t.Error("the account id did not come from sts:GetCallerIdentity")
	}
}

// TestValueIsSecretEverywhere looks for the generated value in every input
// and output of every resource and in the stack outputs: wherever it
// appears it must be inside a secret, so it is encrypted in state and never
// printed.
func TestValueIsSecretEverywhere(t *testing.T) {
	m, jwt, err := runProgram(t, "prod", loadStackConfig(t, "prod"), nil)
	if err != nil {
		t.Fatal(err)
	}
	password := one(t, m, typeRandomPassword)
	if !password.Outputs["result"].IsSecret() {
		t.Fatal("RandomPassword result is not secret")
	}
	value := plain(password.Outputs["result"]).(string)
	if len(value) != 64 {
		t.Fatalf("the mocked value has %d characters", len(value))
	}
	found := 0
	for _, r := range m.Resources() {
		for what, props := range map[string]resource.PropertyMap{"input": r.Inputs, "output": r.Outputs} {
			for k, v := range props {
				switch {
				case containsPlain(v, value):
					t.Errorf("%s %s %s holds the value outside a secret", r.Name, what, k)
				case strings.Contains(v.String(), value) || containsSecret(v, value):
					found++
				}
			}
		}
	}
	if found < 3 { // password result, version input and output
		t.Fatalf("found the value in %d places, the test is not looking at the right properties", found)
	}
	for k, o := range jwt.Outputs() {
		got, _ := await(t, pulumi.ToOutput(o))
		if s, ok := got.(string); ok && strings.Contains(s, value) {
			t.Errorf("stack output %s contains the value", k)
		}
	}
}

func containsPlain(v resource.PropertyValue, s string) bool {
	switch {
	case v.IsSecret():
		return false
	case v.IsOutput():
		o := v.OutputValue()
		return !o.Secret && containsPlain(o.Element, s)
	case v.IsString():
		return strings.Contains(v.StringValue(), s)
	case v.IsArray():
		return slices.ContainsFunc(v.ArrayValue(), func(e resource.PropertyValue) bool { return containsPlain(e, s) })
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			if containsPlain(e, s) {
				return true
			}
		}
	}
	return false
}

func containsSecret(v resource.PropertyValue, s string) bool {
	return v.IsSecret() && strings.Contains(v.SecretValue().Element.String(), s)
}

func TestInvalidArgsRegisterNothing(t *testing.T) {
	for name, edit := range map[string]func(*JwtSecretArgs){
		"length":       func(a *JwtSecretArgs) { a.Length = 16 },
		"rotationDays": func(a *JwtSecretArgs) { a.RotationDays = 2000 },
		"recovery":     func(a *JwtSecretArgs) { a.RecoveryWindowInDays = 3 },
		"stage":        func(a *JwtSecretArgs) { a.Stage = "Prod!" },
	} {
		t.Run(name, func(t *testing.T) {
			m, _, err := runProgram(t, "dev", nil, edit)
			if err == nil {
				t.Fatal("invalid args were accepted")
			}
			if rs := m.Resources(); len(rs) != 0 {
				t.Fatalf("registered %d resources before rejecting the args", len(rs))
			}
		})
	}
}

func TestInvalidConfigRegistersNothing(t *testing.T) {
	m, _, err := runProgram(t, "dev", map[string]string{"auris-jwtsecret:length": "16"}, nil)
	if err == nil || !strings.Contains(err.Error(), `auris-jwtsecret:length = "16"`) {
		t.Fatalf("error %v, want one naming the key and the value", err)
	}
	if rs := m.Resources(); len(rs) != 0 {
		t.Fatalf("registered %d resources", len(rs))
	}
}

func TestConfigReachesResources(t *testing.T) {
	m, jwt, err := runProgram(t, "qa", map[string]string{
		"auris-jwtsecret:stage":            "staging",
		"auris-jwtsecret:length":           "100",
		"auris-jwtsecret:rotationDays":     "30",
		"auris-jwtsecret:logRetentionDays": "14",
		"auris-jwtsecret:generation":       "4",
		"aws:region":                       "eu-west-1",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := plain(one(t, m, typeRandomPassword).Inputs["keepers"]); !reflect.DeepEqual(got, map[string]any{"generation": "4"}) {
		t.Errorf("keepers %v", got)
	}
	if got := len(plain(one(t, m, typeRandomPassword).Outputs["result"]).(string)); got != 100 {
		t.Errorf("value length %d", got)
	}
	fn := one(t, m, typeFunction)
	if got := plain(fn.Inputs["environment"]); !reflect.DeepEqual(got, map[string]any{"variables": map[string]any{"SECRET_LENGTH": "100"}}) {
		t.Errorf("environment %v", got)
	}
	if str(fn, "name") != "staging-auris-jwt-rotation" || str(one(t, m, typeSecret), "name") != "staging-auris-jwt-secret" {
		t.Error("names do not follow the stage")
	}
	if got := plain(one(t, m, typeSecretRotation).Inputs["rotationRules"]); !reflect.DeepEqual(got, map[string]any{"automaticallyAfterDays": float64(30)}) {
		t.Errorf("rotationRules %v", got)
	}
	if got := plain(one(t, m, typeLogGroup).Inputs["retentionInDays"]); got != float64(14) {
		t.Errorf("retention %v", got)
	}
	if !strings.HasPrefix(one(t, m, typeSecret).ID, "arn:aws:secretsmanager:eu-west-1:") {
		t.Error("the mocks ignored the region")
	}
	region, _ := await(t, jwt.Region.ToOutput(context.Background()))
	if region != "eu-west-1" {
		t.Errorf("region output %v", region)
	}
}

// TestGuardHooksAreTheComponentsGuard ties the hook names seen by the engine
// (checked in TestStacks) to the guard behaviour: the component's hooks
// refuse a version create until the value was generated in the deployment.
func TestGuardHooksAreTheComponentsGuard(t *testing.T) {
	_, jwt, err := runProgram(t, "dev", nil, func(a *JwtSecretArgs) { a.Generation = 2 })
	if err != nil {
		t.Fatal(err)
	}
	if err := jwt.guard.requireFresh(versionCreate("v")); err == nil || !strings.Contains(err.Error(), "generation 3") {
		t.Fatalf("guard before the value was generated: %v", err)
	}
	if err := jwt.guard.markFresh(nil); err != nil {
		t.Fatal(err)
	}
	if err := jwt.guard.requireFresh(versionCreate("v")); err != nil {
		t.Fatal(err)
	}
}

// TestLambdaArchiveIsReproducible runs the program twice, each time really
// building the function, and expects the same package.
func TestLambdaArchiveIsReproducible(t *testing.T) {
	var zips [][]byte
	var hashes []string
	for i := range 2 {
		dir := t.TempDir()
		m, _, err := runProgram(t, "dev", nil, func(a *JwtSecretArgs) {
			a.Rotator = nil
			a.Build = BuildOptions{ArtifactDir: dir}
		})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		fn := one(t, m, typeFunction)
		path := fn.Inputs["code"].ArchiveValue().Path
		if !strings.HasPrefix(path, dir) {
			t.Fatalf("run %d deployed %s, not a package it built into %s", i, path, dir)
		}
		zips = append(zips, checkBundle(t, &LambdaBundle{ZipPath: path, SourceCodeHash: str(fn, "sourceCodeHash")}))
		hashes = append(hashes, str(fn, "sourceCodeHash"))
	}
	if hashes[0] != hashes[1] || !bytes.Equal(zips[0], zips[1]) {
		t.Fatalf("two builds of the same source differ: %s vs %s", hashes[0], hashes[1])
	}
	if hashes[0] != sharedBundle(t).SourceCodeHash {
		t.Fatal("a build into another directory differs")
	}
}

// TestRegenerationReachesOnlyTheValue: what a regeneration changes
// (generation) and what a schedule change changes (rotationDays) must not
// reach the Secret's inputs, or the provider would replace the Secret
// (delete first, then fail on the name reserved by the deletion).
func TestRegenerationReachesOnlyTheValue(t *testing.T) {
	secretInputs := func(edit func(*JwtSecretArgs)) (resource.PropertyMap, resource.PropertyMap) {
		m, _, err := runProgram(t, "prod", loadStackConfig(t, "prod"), edit)
		if err != nil {
			t.Fatal(err)
		}
		return one(t, m, typeSecret).Inputs, one(t, m, typeRandomPassword).Inputs
	}
	baseSecret, basePassword := secretInputs(nil)
	for name, edit := range map[string]func(*JwtSecretArgs){
		"generation":   func(a *JwtSecretArgs) { a.Generation = 2 },
		"rotationDays": func(a *JwtSecretArgs) { a.RotationDays = 30 },
	} {
		s, p := secretInputs(edit)
		if !s.DeepEquals(baseSecret) {
			t.Errorf("changing %s changes the Secret's inputs:\n%v\n%v", name, baseSecret, s)
		}
		if changed := !p["keepers"].DeepEquals(basePassword["keepers"]); changed != (name == "generation") {
			t.Errorf("changing %s: RandomPassword keepers changed = %v", name, changed)
		}
	}
}
