package infra

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/auris/jwtsecret/infra/infratest"
)

// deployerPolicyPath is the least-privilege policy for whoever runs
// `pulumi up` (README: "Deployer permissions"); deployerKeyPolicyPath
// is what a stack with createKmsKey needs on top of it.
var (
	deployerPolicyPath    = filepath.Join("..", "policies", "deployer-policy.json")
	deployerKeyPolicyPath = filepath.Join("..", "policies", "deployer-kms-key-policy.json")
)

// need is one IAM authorization the provider's create/read/update/delete of
// a resource (as implemented by the Terraform AWS provider that pulumi-aws
// bridges) asks for.
type need struct {
	action, resource string
	context          map[string]string
}

// deployerNeeds maps every type token the program registers, and every
// invoke it makes, to the authorizations its lifecycle needs, computed from
// the registration the mocks saw (and, for a resource whose needs depend on
// another, that one's). A type missing here fails the test, so a new
// resource cannot be added without deciding its deployer permissions.
var deployerNeeds = map[string]func(r *infratest.Registered, m *infratest.Mocks) []need{
	ComponentType:      nil,
	typeRandomPassword: nil, // computed locally by the random provider
	typeSecret: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		needs := actionsOn(r.ID, "secretsmanager:CreateSecret", "secretsmanager:TagResource", // create with tags
			"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", // read
			"secretsmanager:UpdateSecret", "secretsmanager:UntagResource", // update
			"secretsmanager:DeleteSecret") // delete
		if _, ok := r.Inputs["replicas"]; ok {
			// Replicas are added and removed on the primary, in place.
			needs = append(needs, actionsOn(r.ID, "secretsmanager:ReplicateSecretToRegions", "secretsmanager:RemoveRegionsFromReplication")...)
		}
		// With a customer managed key: CreateSecret needs GenerateDataKey
		// and Decrypt, an UpdateSecret that changes the key also Encrypt (to
		// re-encrypt the labelled versions), ReplicateSecretToRegions Decrypt.
		return append(needs, keyUse(r, r.ID, "kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt")...)
	},
	typeSecretVersion: func(r *infratest.Registered, m *infratest.Mocks) []need {
		// Create puts the value and reads it back; refresh reads. Updates
		// (versionStages) are ignored and deletes retained, so the
		// provider never calls UpdateSecretVersionStage.
		secretArn := str(r, "secretId")
		needs := actionsOn(secretArn, "secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue")
		return append(needs, keyUse(secretOf(m, secretArn), secretArn, "kms:GenerateDataKey", "kms:Decrypt")...)
	},
	typeSecretPolicy: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		return actionsOn(str(r, "secretArn"),
			"secretsmanager:PutResourcePolicy", "secretsmanager:GetResourcePolicy", "secretsmanager:DeleteResourcePolicy")
	},
	typeKey: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		arn := plain(r.Outputs["arn"]).(string)
		tags := plain(r.Inputs["tags"]).(map[string]any)
		requestTag := map[string]string{"aws:RequestTag/Project": tags["Project"].(string)}
		resourceTag := map[string]string{"aws:ResourceTag/Project": tags["Project"].(string)}
		needs := []need{
			// Tagging on creation is authorized before the key exists.
			{action: "kms:CreateKey", resource: "*", context: requestTag},
			{action: "kms:TagResource", resource: "*", context: requestTag},
		}
		for _, a := range []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", // read
			"kms:EnableKeyRotation",                                                                                          // right after create
			"kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:DisableKeyRotation", "kms:TagResource", "kms:UntagResource", // update
			"kms:ScheduleKeyDeletion"} { // delete
			needs = append(needs, need{action: a, resource: arn, context: resourceTag})
		}
		return needs
	},
	typeAlias: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		alias := plain(r.Outputs["arn"]).(string)
		key := plain(r.Outputs["targetKeyArn"]).(string)
		// An alias operation is authorized on the alias and on the key.
		return append(append(actionsOn(alias, "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"),
			actionsOn(key, "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias")...),
			need{action: "kms:ListAliases", resource: "*"}) // read lists the account's aliases
	},
	typeTopic: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		return actionsOn(r.ID, "sns:CreateTopic", "sns:TagResource", "sns:SetTopicAttributes", // create
			"sns:GetTopicAttributes", "sns:ListTagsForResource", // read
			"sns:UntagResource", "sns:DeleteTopic")
	},
	typeTopicPolicy: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		// Delete puts back the default policy, built from the topic's owner.
		return actionsOn(str(r, "arn"), "sns:SetTopicAttributes", "sns:GetTopicAttributes")
	},
	typeSubscription: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		// Subscription actions are authorized without a resource.
		return append(actionsOn(str(r, "topic"), "sns:Subscribe", "sns:ListSubscriptionsByTopic"),
			actionsOn("*", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe")...)
	},
	typeMetricAlarm: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		return actionsOn(plain(r.Outputs["arn"]).(string), "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource",
			"cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:UntagResource", "cloudwatch:DeleteAlarms")
	},
	typeEventRule: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		return actionsOn(plain(r.Outputs["arn"]).(string), "events:PutRule", "events:TagResource",
			"events:DescribeRule", "events:ListTagsForResource", "events:UntagResource", "events:DeleteRule")
	},
	typeEventTarget: func(r *infratest.Registered, m *infratest.Mocks) []need {
		var ruleArn string
		for _, rule := range m.ByType(typeEventRule) {
			if str(rule, "name") == str(r, "rule") {
				ruleArn = plain(rule.Outputs["arn"]).(string)
			}
		}
		return actionsOn(ruleArn, "events:PutTargets", "events:ListTargetsByRule", "events:RemoveTargets")
	},
	typeSecretRotation: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		return append(actionsOn(str(r, "secretId"),
			"secretsmanager:RotateSecret", "secretsmanager:DescribeSecret", "secretsmanager:CancelRotateSecret"),
			// RotateSecret also requires the caller to be allowed to
			// invoke the rotation function.
			need{action: "lambda:InvokeFunction", resource: str(r, "rotationLambdaArn")})
	},
	typeLogGroup: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		arn := plain(r.Outputs["arn"]).(string)
		region, account := arnRegionAccount(arn)
		return append(append(actionsOn(arn,
			"logs:CreateLogGroup", "logs:TagResource", "logs:PutRetentionPolicy", "logs:ListTagsForResource",
			"logs:UntagResource", "logs:DeleteRetentionPolicy", "logs:DeleteLogGroup"),
			actionsOn(logStreamsArn(arn), "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy")...),
			need{action: "logs:DescribeLogGroups", resource: "arn:aws:logs:" + region + ":" + account + ":log-group:*"})
	},
	typeRole: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		return actionsOn(plain(r.Outputs["arn"]).(string),
			"iam:CreateRole", "iam:TagRole", "iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
			"iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy", "iam:UntagRole",
			"iam:ListInstanceProfilesForRole", "iam:DeleteRole")
	},
	typeRolePolicy: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		return actionsOn(roleArn(str(r, "role")), "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy")
	},
	typePolicy: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		return actionsOn(r.ID, "iam:CreatePolicy", "iam:TagPolicy", "iam:GetPolicy", "iam:GetPolicyVersion",
			"iam:ListPolicyVersions", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:UntagPolicy",
			"iam:DeletePolicy")
	},
	typeAttachment: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		role := roleArn(str(r, "role"))
		policy := map[string]string{"iam:PolicyARN": str(r, "policyArn")}
		return []need{
			{action: "iam:AttachRolePolicy", resource: role, context: policy},
			{action: "iam:DetachRolePolicy", resource: role, context: policy},
			{action: "iam:ListAttachedRolePolicies", resource: role},
		}
	},
	typeFunction: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		return append(actionsOn(plain(r.Outputs["arn"]).(string),
			"lambda:CreateFunction", "lambda:TagResource", "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig",
			"lambda:ListVersionsByFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
			"lambda:UntagResource", "lambda:DeleteFunction"),
			need{action: "iam:PassRole", resource: str(r, "role"), context: map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}})
	},
	typePermission: func(r *infratest.Registered, _ *infratest.Mocks) []need {
		return actionsOn(functionArn(str(r, "sourceArn"), str(r, "function")),
			"lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission")
	},
}

// invokeNeeds are the authorizations of the invokes the program makes.
var invokeNeeds = map[string][]need{
	"aws:index/getCallerIdentity:getCallerIdentity": {{action: "sts:GetCallerIdentity", resource: "*"}},
	"aws:index/getRegion:getRegion":                 nil, // answered from the provider's configuration
}

// keyUse are the KMS authorizations Secrets Manager asks for on behalf of
// the deployer when the secret (registration secret) has a customer managed
// key: through Secrets Manager of the secret's region, for that secret.
func keyUse(secret *infratest.Registered, secretArn string, actions ...string) []need {
	if secret == nil {
		return nil
	}
	keyArn := str(secret, "kmsKeyId")
	if keyArn == "" {
		return nil
	}
	region, _ := arnRegionAccount(secretArn)
	ctx := map[string]string{
		"kms:ViaService":                  "secretsmanager." + region + ".amazonaws.com",
		"kms:EncryptionContext:SecretARN": secretArn,
	}
	out := make([]need, len(actions))
	for i, a := range actions {
		out[i] = need{action: a, resource: keyArn, context: ctx}
	}
	return out
}

// secretOf is the Secret registration with that ARN.
func secretOf(m *infratest.Mocks, arn string) *infratest.Registered {
	for _, r := range m.ByType(typeSecret) {
		if r.ID == arn {
			return r
		}
	}
	return nil
}

func actionsOn(resource string, actions ...string) []need {
	out := make([]need, len(actions))
	for i, a := range actions {
		out[i] = need{action: a, resource: resource}
	}
	return out
}

func roleArn(name string) string { return "arn:aws:iam::" + infratest.AccountID + ":role/" + name }

func arnRegionAccount(arn string) (string, string) {
	parts := strings.SplitN(arn, ":", 6)
	return parts[3], parts[4]
}

// functionArn builds the ARN of a function named in the same region and
// account as another resource's ARN.
func functionArn(sibling, name string) string {
	region, account := arnRegionAccount(sibling)
	return "arn:aws:lambda:" + region + ":" + account + ":function:" + name
}

func loadPolicyFile(t *testing.T, path string) iamDocument {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseIAM(t, string(raw))
}

func loadDeployerPolicy(t *testing.T) iamDocument {
	t.Helper()
	return loadPolicyFile(t, deployerPolicyPath)
}

// withKeyPolicy is the deployer policy with the createKmsKey addition, as
// both attached to one principal.
func withKeyPolicy(t *testing.T) iamDocument {
	t.Helper()
	d := loadDeployerPolicy(t)
	d.Statement = append(d.Statement, loadPolicyFile(t, deployerKeyPolicyPath).Statement...)
	return d
}

func TestDeployerPolicyCoversTheProgram(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range []struct {
		stack  string
		extra  map[string]string
		policy iamDocument
	}{
		{"dev", nil, loadDeployerPolicy(t)},
		{"prod", nil, loadDeployerPolicy(t)},
		// Every option on, with a key the program creates: needs the
		// key addition.
		{"prod", map[string]string{
			"auris-jwtsecret:createKmsKey": "true", "auris-jwtsecret:restrictReaders": "true",
			"auris-jwtsecret:alarmEmail": "ops@example.com", "auris-jwtsecret:replicaRegions": `["eu-west-1","us-west-2"]`,
		}, withKeyPolicy(t)},
		// A key of the stack's own: the deployer policy alone.
		{"dev", map[string]string{"auris-jwtsecret:kmsKeyArn": testKeyArn}, loadDeployerPolicy(t)},
	} {
		cfg := loadStackConfig(t, tc.stack)
		cfg["auris-jwtsecret:readerRoles"] = `["app-api","app-worker"]`
		cfg["auris-jwtsecret:tags"] = `{"Team":"identity"}`
		maps.Copy(cfg, tc.extra)
		m, _, err := runProgram(t, tc.stack, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range m.Resources() {
			seen[r.Type] = true
			needs, ok := deployerNeeds[r.Type]
			if !ok {
				t.Errorf("%s: no deployer permissions decided for type %s; add them to %s and to deployerNeeds",
					r.Name, r.Type, deployerPolicyPath)
				continue
			}
			if needs == nil {
				continue
			}
			for _, n := range needs(r, m) {
				if !tc.policy.allows(n.action, n.resource, n.context) {
					t.Errorf("%s %v (%s): the deployer policy does not allow %s on %s %v", tc.stack, tc.extra, r.Type, n.action, n.resource, n.context)
				}
			}
		}
		for _, call := range m.Calls() {
			needs, ok := invokeNeeds[call]
			if !ok {
				t.Errorf("no deployer permissions decided for invoke %s", call)
			}
			for _, n := range needs {
				if !tc.policy.allows(n.action, n.resource, n.context) {
					t.Errorf("the deployer policy does not allow %s (for %s)", n.action, call)
				}
			}
		}
	}
	for typ := range deployerNeeds {
		if !seen[typ] {
			t.Errorf("deployerNeeds lists %s, which the program no longer registers", typ)
		}
	}
}

// The key addition is needed only for createKmsKey: the deployer policy
// alone cannot create or manage keys.
func TestDeployerPolicyCannotManageKeys(t *testing.T) {
	policy := loadDeployerPolicy(t)
	tag := map[string]string{"aws:RequestTag/Project": testProject, "aws:ResourceTag/Project": testProject}
	for _, a := range []string{"kms:CreateKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateAlias", "kms:EnableKeyRotation"} {
		for _, res := range []string{"*", testKeyArn} {
			if policy.allows(a, res, tag) {
				t.Errorf("the deployer policy allows %s on %s", a, res)
			}
		}
	}
}

// unscopedGrant is a statement whose resource cannot name this project's
// resources, with the reason it is acceptable: its actions (exactly) and
// the conditions that confine it instead (exactly).
type unscopedGrant struct {
	actions    []string
	resource   string
	conditions map[string]map[string]strList
}

// unscoped are all the grants of the deployer policies that reach beyond
// *-auris-jwt-* names. Anything else is a test failure.
var unscoped = map[string]unscopedGrant{
	// Reads the account id; has no resource.
	"IdentifyAccount": {[]string{"sts:GetCallerIdentity"}, "*", nil},
	// Reader roles have the applications' names; only attaching the reader
	// policy (by condition) and listing reach them.
	"AttachOnlyTheReaderPolicyToAppRoles": {[]string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"}, "arn:aws:iam::*:role/*",
		map[string]map[string]strList{"ArnLike": {"iam:PolicyARN": {"arn:aws:iam::*:policy/*-auris-jwt-secret-reader"}}}},
	"ReadAppRoleAttachments": {[]string{"iam:ListAttachedRolePolicies"}, "arn:aws:iam::*:role/*", nil},
	// The provider finds the log group by listing.
	"FindLogGroups": {[]string{"logs:DescribeLogGroups"}, "arn:aws:logs:*:*:log-group:*", nil},
	// Key ARNs carry no name: using a key is confined to Secrets Manager
	// acting for this project's secrets.
	"UseSecretKeyThroughSecretsManager": {[]string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, "arn:aws:kms:*:*:key/*",
		map[string]map[string]strList{
			"StringLike": {"kms:ViaService": {"secretsmanager.*.amazonaws.com"}},
			"ArnLike":    {"kms:EncryptionContext:SecretARN": {"arn:aws:secretsmanager:*:*:secret:*-auris-jwt-secret-*"}},
		}},
	// SNS authorizes subscription actions without a resource.
	"ManageAlertSubscriptions": {[]string{"sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"}, "*", nil},
	// createKmsKey only (deployer-kms-key-policy.json): a key does not exist
	// when it is created and tagged, so both are confined by the tag.
	"CreateProjectTaggedKey": {[]string{"kms:CreateKey", "kms:TagResource"}, "*",
		map[string]map[string]strList{"StringEquals": {"aws:RequestTag/Project": {testProject}}}},
	// Read-only, and enabling rotation, which the provider does right after
	// creating the key, before a tag is certain to authorize anything.
	"ReadKeysAndEnableRotation": {[]string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:EnableKeyRotation"},
		"arn:aws:kms:*:*:key/*", nil},
	// Everything that could take a key from its owners: only on keys
	// tagged with this project.
	"ChangeProjectTaggedKey": {[]string{"kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:DisableKeyRotation", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion"},
		"arn:aws:kms:*:*:key/*", map[string]map[string]strList{"StringEquals": {"aws:ResourceTag/Project": {testProject}}}},
	// An alias operation is authorized on the key too; the alias name is
	// confined (the alias statement's other resource).
	"ManageKeyAlias": {[]string{"kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"}, "arn:aws:kms:*:*:key/*", nil},
	"ListAliases":    {[]string{"kms:ListAliases"}, "*", nil},
}

// TestDeployerPolicyIsScoped checks that the deployer policies only reach
// this project's resources, but for the grants listed in unscoped.
func TestDeployerPolicyIsScoped(t *testing.T) {
	used := map[string]bool{}
	for _, path := range []string{deployerPolicyPath, deployerKeyPolicyPath} {
		for _, s := range loadPolicyFile(t, path).Statement {
			if s.Effect != "Allow" {
				continue
			}
			for _, a := range s.Action {
				if strings.Contains(a, "*") {
					t.Errorf("%s: statement %s: wildcard action %s", path, s.Sid, a)
				}
			}
			for _, res := range s.Resource {
				if strings.Contains(res, "-auris-jwt-") {
					continue
				}
				u, ok := unscoped[s.Sid]
				if !ok || u.resource != res || !slices.Equal(slices.Sorted(slices.Values(s.Action)), slices.Sorted(slices.Values(u.actions))) ||
					!reflect.DeepEqual(s.Condition, u.conditions) {
					t.Errorf("%s: statement %s: resource %s is not scoped to *-auris-jwt-* (and is not a listed exception)", path, s.Sid, res)
					continue
				}
				used[s.Sid] = true
			}
		}
	}
	for sid := range unscoped {
		if !used[sid] {
			t.Errorf("unscoped lists %s, which no deployer policy has", sid)
		}
	}

	const acct = infratest.AccountID
	otherKey := "arn:aws:kms:us-east-1:" + acct + ":key/99999999-12ab-34cd-56ef-1234567890ab"
	otherSecret := "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:payments-db-password-AbCdEf"
	viaSecretsManager := func(secretArn string) map[string]string {
		return map[string]string{"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com", "kms:EncryptionContext:SecretARN": secretArn}
	}
	denied := []need{
		{action: "secretsmanager:GetSecretValue", resource: otherSecret},
		{action: "secretsmanager:DeleteSecret", resource: otherSecret},
		{action: "secretsmanager:PutResourcePolicy", resource: otherSecret},
		{action: "secretsmanager:GetRandomPassword", resource: "*"},
		{action: "iam:AttachRolePolicy", resource: roleArn("app-api"), context: map[string]string{"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}},
		{action: "iam:AttachRolePolicy", resource: roleArn("app-api")},
		{action: "iam:PutRolePolicy", resource: roleArn("app-api")},
		{action: "iam:CreateRole", resource: roleArn("admin")},
		{action: "iam:PassRole", resource: roleArn("dev-auris-jwt-rotation"), context: map[string]string{"iam:PassedToService": "ec2.amazonaws.com"}},
		{action: "iam:PassRole", resource: roleArn("admin"), context: map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}},
		{action: "lambda:UpdateFunctionCode", resource: "arn:aws:lambda:us-east-1:" + acct + ":function:payments"},
		{action: "lambda:InvokeFunction", resource: "arn:aws:lambda:us-east-1:" + acct + ":function:payments"},
		{action: "logs:DeleteLogGroup", resource: "arn:aws:logs:us-east-1:" + acct + ":log-group:/aws/lambda/payments"},
		{action: "iam:CreatePolicy", resource: "arn:aws:iam::" + acct + ":policy/anything"},
		// Keys: no direct use, no use for other secrets, no changes to
		// keys that are not this project's.
		{action: "kms:Decrypt", resource: otherKey},
		{action: "kms:Decrypt", resource: otherKey, context: map[string]string{"kms:EncryptionContext:SecretARN": "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:dev-auris-jwt-secret-AbCdEf"}},
		{action: "kms:Decrypt", resource: otherKey, context: viaSecretsManager(otherSecret)},
		{action: "kms:Decrypt", resource: otherKey, context: map[string]string{"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:SecretARN": "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:dev-auris-jwt-secret-AbCdEf"}},
		{action: "kms:ReEncryptFrom", resource: otherKey, context: viaSecretsManager("arn:aws:secretsmanager:us-east-1:" + acct + ":secret:dev-auris-jwt-secret-AbCdEf")},
		{action: "kms:CreateGrant", resource: otherKey},
		{action: "kms:PutKeyPolicy", resource: otherKey},
		{action: "kms:PutKeyPolicy", resource: otherKey, context: map[string]string{"aws:ResourceTag/Project": "payments"}},
		{action: "kms:ScheduleKeyDeletion", resource: otherKey},
		{action: "kms:CreateKey", resource: "*"},
		{action: "kms:CreateKey", resource: "*", context: map[string]string{"aws:RequestTag/Project": "payments"}},
		{action: "kms:TagResource", resource: otherKey, context: map[string]string{"aws:RequestTag/Project": "payments"}},
		{action: "kms:CreateAlias", resource: "arn:aws:kms:us-east-1:" + acct + ":alias/payments"},
		{action: "kms:DeleteAlias", resource: "arn:aws:kms:us-east-1:" + acct + ":alias/aws/secretsmanager"},
		// Alerts: only this project's topic, alarm and rule.
		{action: "sns:Publish", resource: "arn:aws:sns:us-east-1:" + acct + ":dev-auris-jwt-alerts"},
		{action: "sns:SetTopicAttributes", resource: "arn:aws:sns:us-east-1:" + acct + ":payments-alerts"},
		{action: "sns:DeleteTopic", resource: "arn:aws:sns:us-east-1:" + acct + ":payments-alerts"},
		{action: "sns:Subscribe", resource: "arn:aws:sns:us-east-1:" + acct + ":payments-alerts"},
		{action: "cloudwatch:DeleteAlarms", resource: "arn:aws:cloudwatch:us-east-1:" + acct + ":alarm:payments-errors"},
		{action: "events:PutTargets", resource: "arn:aws:events:us-east-1:" + acct + ":rule/payments"},
		{action: "events:PutRule", resource: "arn:aws:events:us-east-1:" + acct + ":rule/dev-auris-jwt-rotation"},
	}
	policy := withKeyPolicy(t)
	for _, n := range denied {
		if policy.allows(n.action, n.resource, n.context) {
			t.Errorf("the deployer policies allow %s on %s %v", n.action, n.resource, n.context)
		}
	}
}

// The evaluator must agree with the document on a resource it was written
// for, or TestDeployerPolicyCoversTheProgram proves nothing.
func TestDeployerPolicyAllowsAKnownGoodRequest(t *testing.T) {
	policy := loadDeployerPolicy(t)
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-auris-jwt-secret-Ab12Cd"
	if !policy.allows("secretsmanager:PutSecretValue", arn, nil) {
		t.Fatal("the deployer policy does not allow writing the prod secret")
	}
}
