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
	typeSecretPolicy   = "aws:secretsmanager/secretPolicy:SecretPolicy"
	typeKey            = "aws:kms/key:Key"
	typeAlias          = "aws:kms/alias:Alias"
	typeTopic          = "aws:sns/topic:Topic"
	typeTopicPolicy    = "aws:sns/topicPolicy:TopicPolicy"
	typeSubscription   = "aws:sns/topicSubscription:TopicSubscription"
	typeMetricAlarm    = "aws:cloudwatch/metricAlarm:MetricAlarm"
	typeEventRule      = "aws:cloudwatch/eventRule:EventRule"
	typeEventTarget    = "aws:cloudwatch/eventTarget:EventTarget"
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
		typeSecretPolicy + "::jwt-secret-policy",
		typeTopic + "::jwt-alerts",
		typeTopicPolicy + "::jwt-alerts-policy",
		typeMetricAlarm + "::jwt-rotation-errors",
		typeEventRule + "::jwt-rotation-failed",
		typeEventTarget + "::jwt-rotation-failed-alert",
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

	if !dependsOn(version, one(t, m, typeSecretPolicy)) {
		t.Error("SecretVersion does not wait for the resource policy; the provider reads the value back as the deployer")
	}

	// Protection: exactly the resources that hold or guard the secret, and
	// not the two a regeneration replaces.
	for _, r := range m.Resources() {
		holds := slices.Contains(protectedTypes, r.Type)
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
	checkRotationPolicy(t, str(rolePolicy, "policy"), secretArn, logGroupArn, nil)
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
	checkReaderPolicy(t, str(policy, "policy"), secretArn, nil, nil)
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
	if want := []string{typeLogGroup, typePolicy, typeRole, typeSecret, typeFunction, typeTopic, typeMetricAlarm, typeEventRule}; !reflect.DeepEqual(tagged, slices.Sorted(slices.Values(want))) {
		t.Errorf("tagged %v, want every taggable resource %v", tagged, want)
	}

	// The resource policy, with restrictReaders off: nobody outside the
	// account reads, everyone inside may as far as IAM allows.
	secretPolicy := one(t, m, typeSecretPolicy)
	if str(secretPolicy, "secretArn") != secretArn || plain(secretPolicy.Inputs["blockPublicPolicy"]) != true {
		t.Errorf("SecretPolicy inputs %v", secretPolicy.Inputs)
	}
	checkSecretResourcePolicy(t, str(secretPolicy, "policy"), plain(role.Outputs["arn"]).(string), []string{"api-prod"}, false)

	topicArn := checkAlerts(t, m, stage, "")

	// Outputs.
	wantOutputs := map[string]any{
		"stage": stage, "region": "us-east-1", "secretName": secretName, "secretArn": secretArn,
		"secretVersionId": plain(version.Outputs["versionId"]), "rotationLambdaArn": fnArn,
		"rotationDays": 180, "readerPolicyArn": policy.ID, "alarmTopicArn": topicArn,
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

// protectedTypes hold or guard the secret: the Secret (every version), its
// rotation, its resource policy (removing it would lift the restriction
// silently) and a created KMS key (deleting it loses every value).
var protectedTypes = []string{typeSecret, typeSecretRotation, typeSecretPolicy, typeKey}

// checkAlerts checks the alert resources of stage and returns the topic's
// ARN: the topic, its policy, the alarm on the rotation function's Errors,
// the rule for the secret's failed rotations and its target, and the email
// subscription when email is set.
func checkAlerts(t *testing.T, m *infratest.Mocks, stage, email string) string {
	t.Helper()
	topic := one(t, m, typeTopic)
	topicPolicy := one(t, m, typeTopicPolicy)
	alarm := one(t, m, typeMetricAlarm)
	rule := one(t, m, typeEventRule)
	target := one(t, m, typeEventTarget)
	fn := one(t, m, typeFunction)
	secretArn := one(t, m, typeSecret).ID
	topicArn := topic.ID

	if str(topic, "name") != naming.AlertTopicName(stage) || str(topic, "name") != stage+"-auris-jwt-alerts" {
		t.Errorf("topic name %q", str(topic, "name"))
	}
	if _, ok := topic.Inputs["kmsMasterKeyId"]; ok {
		t.Error("the topic is encrypted; CloudWatch and EventBridge could not publish without a key policy for them")
	}

	for k, want := range map[string]any{
		"name": naming.RotationErrorsAlarmName(stage), "namespace": "AWS/Lambda", "metricName": "Errors",
		"dimensions": map[string]any{"FunctionName": str(fn, "name")}, "statistic": "Sum", "period": float64(300),
		"evaluationPeriods": float64(1), "threshold": float64(1), "comparisonOperator": "GreaterThanOrEqualToThreshold",
		"treatMissingData": "notBreaching", "alarmActions": []any{topicArn},
	} {
		if got := plain(alarm.Inputs[resource.PropertyKey(k)]); !reflect.DeepEqual(got, want) {
			t.Errorf("MetricAlarm %s = %#v, want %#v", k, got, want)
		}
	}
	for _, k := range []string{"okActions", "insufficientDataActions", "actionsEnabled"} {
		if _, ok := alarm.Inputs[resource.PropertyKey(k)]; ok {
			t.Errorf("MetricAlarm sets %s", k)
		}
	}

	if str(rule, "name") != naming.RotationFailedRuleName(stage) {
		t.Errorf("rule name %q", str(rule, "name"))
	}
	checkEventPattern(t, str(rule, "eventPattern"), secretArn)
	if str(target, "rule") != str(rule, "name") || str(target, "arn") != topicArn {
		t.Errorf("EventTarget %v, want the rule to the topic", target.Inputs)
	}
	if _, ok := target.Inputs["roleArn"]; ok {
		t.Error("the target uses a role; SNS targets are authorized by the topic policy")
	}
	if !dependsOn(target, topicPolicy) {
		t.Error("the target does not wait for the topic policy")
	}

	if str(topicPolicy, "arn") != topicArn {
		t.Errorf("TopicPolicy on %q", str(topicPolicy, "arn"))
	}
	checkAlertTopicPolicy(t, str(topicPolicy, "policy"), topicArn, infratest.AccountID,
		plain(alarm.Outputs["arn"]).(string), plain(rule.Outputs["arn"]).(string))

	subs := m.ByType(typeSubscription)
	switch {
	case email == "" && len(subs) != 0:
		t.Errorf("%d subscriptions without alarmEmail", len(subs))
	case email != "":
		if len(subs) != 1 {
			t.Fatalf("%d subscriptions, want the alarmEmail one", len(subs))
		}
		for k, want := range map[string]string{"topic": topicArn, "protocol": "email", "endpoint": email} {
			if got := str(subs[0], k); got != want {
				t.Errorf("TopicSubscription %s = %q, want %q", k, got, want)
			}
		}
	}
	return topicArn
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
		"length":          func(a *JwtSecretArgs) { a.Length = 16 },
		"rotationDays":    func(a *JwtSecretArgs) { a.RotationDays = 2000 },
		"recovery":        func(a *JwtSecretArgs) { a.RecoveryWindowInDays = 3 },
		"stage":           func(a *JwtSecretArgs) { a.Stage = "Prod!" },
		"alarmEmail":      func(a *JwtSecretArgs) { a.AlarmEmail = "ops" },
		"kmsKeyArn":       func(a *JwtSecretArgs) { a.KmsKeyArn = "alias/jwt" },
		"createKmsKey":    func(a *JwtSecretArgs) { a.KmsKeyArn, a.CreateKmsKey = testKeyArn, true },
		"tags":            func(a *JwtSecretArgs) { a.CreateKmsKey, a.Tags = true, map[string]string{"Project": "x"} },
		"restrictReaders": func(a *JwtSecretArgs) { a.RestrictReaders = true },
		"replicaRegions":  func(a *JwtSecretArgs) { a.ReplicaRegions = []string{"eu-west-1", "eu-west-1"} },
	} {
		t.Run(name, func(t *testing.T) {
			m, _, err := runProgram(t, "dev", nil, edit)
			if err == nil {
				t.Fatal("invalid args were accepted")
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %s", err, name)
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

// runWith runs the dev stack's configuration with extra keys.
func runWith(t *testing.T, extra map[string]string) (*infratest.Mocks, *JwtSecret) {
	t.Helper()
	cfg := loadStackConfig(t, "dev")
	maps.Copy(cfg, extra)
	m, jwt, err := runProgram(t, "dev", cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m, jwt
}

// outputs awaits the component's outputs.
func outputs(t *testing.T, jwt *JwtSecret) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, o := range jwt.Outputs() {
		out[k], _ = await(t, pulumi.ToOutput(o))
	}
	return out
}

// checkKeyUsers checks that the secret, the rotation role and the reader
// policy use keyArn, each exactly as it needs to.
func checkKeyUsers(t *testing.T, m *infratest.Mocks, keyArn string) {
	t.Helper()
	secret := one(t, m, typeSecret)
	if got := str(secret, "kmsKeyId"); got != keyArn {
		t.Errorf("Secret kmsKeyId %q, want %q", got, keyArn)
	}
	key := &secretKey{keyArn: keyArn, region: "us-east-1"}
	checkRotationPolicy(t, str(one(t, m, typeRolePolicy), "policy"), secret.ID, plain(one(t, m, typeLogGroup).Outputs["arn"]).(string), key)
	checkReaderPolicy(t, str(one(t, m, typePolicy), "policy"), secret.ID, nil, key)
}

func TestCreatedKmsKey(t *testing.T) {
	m, jwt := runWith(t, map[string]string{"auris-jwtsecret:createKmsKey": "true", "auris-jwtsecret:protect": "true"})
	key, alias := one(t, m, typeKey), one(t, m, typeAlias)
	keyArn := plain(key.Outputs["arn"]).(string)
	for k, want := range map[string]any{
		"enableKeyRotation": true, "deletionWindowInDays": float64(30),
		"description": "Encrypts the JWT signing secret dev-auris-jwt-secret",
		"tags":        map[string]any{"Project": testProject, "Stage": "dev", "ManagedBy": "pulumi"},
	} {
		if got := plain(key.Inputs[resource.PropertyKey(k)]); !reflect.DeepEqual(got, want) {
			t.Errorf("Key %s = %#v, want %#v", k, got, want)
		}
	}
	for _, k := range []string{"multiRegion", "bypassPolicyLockoutSafetyCheck", "customerMasterKeySpec", "keyUsage", "isEnabled"} {
		if _, ok := key.Inputs[resource.PropertyKey(k)]; ok {
			t.Errorf("Key sets %s", k)
		}
	}
	checkKeyPolicy(t, str(key, "policy"), "aws", infratest.AccountID)
	if str(alias, "name") != "alias/dev-auris-jwt-secret" || str(alias, "targetKeyId") != plain(key.Outputs["keyId"]) {
		t.Errorf("Alias inputs %v", alias.Inputs)
	}
	checkKeyUsers(t, m, keyArn)
	if !dependsOn(one(t, m, typeSecret), key) {
		t.Error("the Secret does not depend on its key")
	}
	for _, r := range m.Resources() {
		if got, want := protected(r), slices.Contains(protectedTypes, r.Type); got != want {
			t.Errorf("%s protected = %v, want %v", r.Name, got, want)
		}
	}
	if got := outputs(t, jwt)["kmsKeyArn"]; got != keyArn {
		t.Errorf("output kmsKeyArn = %v, want %s", got, keyArn)
	}
}

func TestConfiguredKmsKey(t *testing.T) {
	m, jwt := runWith(t, map[string]string{"auris-jwtsecret:kmsKeyArn": testKeyArn})
	if n := len(m.ByType(typeKey)) + len(m.ByType(typeAlias)); n != 0 {
		t.Errorf("created %d key resources for a configured key", n)
	}
	checkKeyUsers(t, m, testKeyArn)
	if got := outputs(t, jwt)["kmsKeyArn"]; got != testKeyArn {
		t.Errorf("output kmsKeyArn = %v, want %s", got, testKeyArn)
	}
}

// TestRestrictReaders runs the program with restrictReaders and evaluates
// the resource policy it registered: the rotation role (by the ARN the
// role got), the readers and the deployer (the mocks' caller, a role
// session) keep access; every other principal loses it.
func TestRestrictReaders(t *testing.T) {
	m, _ := runWith(t, map[string]string{
		"auris-jwtsecret:readerRoles":     `["api-prod","worker-prod"]`,
		"auris-jwtsecret:restrictReaders": "true",
	})
	policy := one(t, m, typeSecretPolicy)
	roleArn := plain(one(t, m, typeRole).Outputs["arn"]).(string)
	checkSecretResourcePolicy(t, str(policy, "policy"), roleArn, []string{"api-prod", "worker-prod"}, true)
	if !dependsOn(policy, one(t, m, typeRole)) {
		t.Error("the resource policy does not wait for the rotation role it names")
	}
	if plain(policy.Inputs["blockPublicPolicy"]) != true {
		t.Error("blockPublicPolicy is off")
	}
}

// An identity restrictReaders cannot express is refused before any AWS
// resource is registered, rather than locking the deployer out.
func TestRestrictReadersUnknownDeployer(t *testing.T) {
	cfg := loadStackConfig(t, "dev")
	cfg["auris-jwtsecret:readerRoles"] = `["api"]`
	cfg["auris-jwtsecret:restrictReaders"] = "true"
	mocks := infratest.New(testProject, "dev", "us-east-1")
	mocks.Caller = "arn:aws:sts::123456789012:mystery/deployer"
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		args, err := ParseArgs(ctx.Project(), ctx.Stack(), ctx.GetConfig)
		if err != nil {
			return err
		}
		args.Rotator = sharedBundle(t)
		_, err = NewJwtSecret(ctx, "jwt", args)
		return err
	}, pulumi.WithMocks(testProject, "dev", mocks), infratest.Config(cfg))
	if err == nil || !strings.Contains(err.Error(), "restrictReaders") || !strings.Contains(err.Error(), mocks.Caller) {
		t.Fatalf("error %v, want one naming restrictReaders and the identity", err)
	}
	if rs := mocks.Resources(); len(rs) != 1 || rs[0].Type != ComponentType {
		t.Fatalf("registered %d resources, want only the component", len(rs))
	}
}

func TestReplicas(t *testing.T) {
	m, jwt := runWith(t, map[string]string{
		"auris-jwtsecret:replicaRegions": `["us-west-2","eu-west-1"]`,
		"auris-jwtsecret:createKmsKey":   "true",
	})
	secret := one(t, m, typeSecret)
	// Sorted, and without a key of their own: aws/secretsmanager of their
	// region (a key of the primary region cannot encrypt them).
	want := []any{map[string]any{"region": "eu-west-1"}, map[string]any{"region": "us-west-2"}}
	if got := plain(secret.Inputs["replicas"]); !reflect.DeepEqual(got, want) {
		t.Errorf("Secret replicas %#v, want %#v", got, want)
	}
	replicas := []string{replicaArn(secret.ID, "eu-west-1"), replicaArn(secret.ID, "us-west-2")}
	for _, arn := range replicas {
		if !strings.Contains(arn, ":secretsmanager:") || strings.Contains(arn, "us-east-1") || !strings.HasSuffix(arn, strings.SplitN(secret.ID, ":", 7)[6]) {
			t.Fatalf("replica ARN %s", arn)
		}
	}
	key := &secretKey{keyArn: plain(one(t, m, typeKey).Outputs["arn"]).(string), region: "us-east-1"}
	// Readers read the replica of their region; the rotation function
	// writes the primary only.
	checkReaderPolicy(t, str(one(t, m, typePolicy), "policy"), secret.ID, replicas, key)
	checkRotationPolicy(t, str(one(t, m, typeRolePolicy), "policy"), secret.ID, plain(one(t, m, typeLogGroup).Outputs["arn"]).(string), key)
	got := outputs(t, jwt)["replicaSecretArns"]
	if want := map[string]string{"eu-west-1": replicas[0], "us-west-2": replicas[1]}; !reflect.DeepEqual(got, want) {
		t.Errorf("output replicaSecretArns = %#v, want %#v", got, want)
	}
}

func TestAlarmEmail(t *testing.T) {
	m, _ := runWith(t, map[string]string{"auris-jwtsecret:alarmEmail": "jwt-alerts@example.com"})
	checkAlerts(t, m, "dev", "jwt-alerts@example.com")
}

// Without aws:region in the stack configuration (a region from the
// environment), the region rules are checked against the region the
// provider reports, before any AWS resource is registered.
func TestRegionRulesWithoutConfiguredRegion(t *testing.T) {
	for key, value := range map[string]string{
		"replicaRegions": `["eu-west-1","us-east-1"]`,
		"kmsKeyArn":      "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	} {
		m, _, err := runProgram(t, "dev", map[string]string{"auris-jwtsecret:" + key: value}, nil)
		if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "us-east-1") {
			t.Errorf("%s = %s: error %v, want one naming the key and the region", key, value, err)
		}
		if rs := m.Resources(); len(rs) != 1 || rs[0].Type != ComponentType {
			t.Errorf("%s: registered %d resources, want only the component", key, len(rs))
		}
	}
}

// TestOptionsNeverReplaceTheSecret: the new options reach the Secret only
// through kmsKeyId and replicas, which the provider updates in place; the
// inputs that force a replacement of the Secret (name, namePrefix; see
// provider-semantics) stay as they are.
func TestOptionsNeverReplaceTheSecret(t *testing.T) {
	secretForceNew := []resource.PropertyKey{"name", "namePrefix"}
	base, _ := runWith(t, nil)
	baseSecret := one(t, base, typeSecret).Inputs
	for name, extra := range map[string]map[string]string{
		"createKmsKey":    {"auris-jwtsecret:createKmsKey": "true"},
		"kmsKeyArn":       {"auris-jwtsecret:kmsKeyArn": testKeyArn},
		"replicaRegions":  {"auris-jwtsecret:replicaRegions": `["eu-west-1"]`},
		"restrictReaders": {"auris-jwtsecret:restrictReaders": "true", "auris-jwtsecret:readerRoles": `["api"]`},
		"alarmEmail":      {"auris-jwtsecret:alarmEmail": "ops@example.com"},
	} {
		m, _ := runWith(t, extra)
		secret := one(t, m, typeSecret).Inputs
		for _, k := range secretForceNew {
			if !secret[k].DeepEquals(baseSecret[k]) {
				t.Errorf("%s changes the Secret's %s, which replaces it", name, k)
			}
		}
		for k := range secret {
			if k != "kmsKeyId" && k != "replicas" && !secret[k].DeepEquals(baseSecret[k]) {
				t.Errorf("%s changes the Secret's %s", name, k)
			}
		}
	}
}

// Every name the stage makes stays within AWS's limits for the longest
// stage.
func TestNamesFitForTheLongestStage(t *testing.T) {
	stage := strings.Repeat("s", naming.MaxStageLength)
	for name, limit := range map[string]int{
		naming.SecretName(stage):              512,
		naming.RotationFunctionName(stage):    64, // function and role name
		readerPolicyName(stage):               128,
		naming.AlertTopicName(stage):          256,
		naming.RotationErrorsAlarmName(stage): 255,
		naming.RotationFailedRuleName(stage):  64,
		naming.KeyAliasName(stage):            256,
	} {
		if len(name) > limit {
			t.Errorf("%s: %d characters, more than %d", name, len(name), limit)
		}
	}
}
