package infra

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

const (
	testSecretArn   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-auris-jwt-secret-AbCdEf"
	otherSecretArn  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-payments-key-XyZ123"
	testLogGroupArn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/dev-auris-jwt-rotation"
	otherLogGroup   = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/other"
)

// grant is one Allow statement reduced to what it grants.
type grant struct {
	actions, resources []string
	conditions         map[string]map[string]strList
}

func grantsOf(t *testing.T, d iamDocument) []grant {
	t.Helper()
	var grants []grant
	for _, s := range d.Statement {
		if s.Effect != "Allow" || len(s.Principal) > 0 {
			t.Errorf("unexpected statement %+v", s)
		}
		grants = append(grants, grant{slices.Sorted(slices.Values(s.Action)), s.Resource, s.Condition})
	}
	return grants
}

// keyGrant is the statement that lets a role have Secrets Manager use key
// for secretArn only.
func keyGrant(key *secretKey, secretArn string, actions ...string) grant {
	return grant{actions, []string{key.keyArn}, map[string]map[string]strList{"StringEquals": {
		"kms:ViaService":                  {"secretsmanager." + key.region + ".amazonaws.com"},
		"kms:EncryptionContext:SecretARN": {secretArn},
	}}}
}

// checkRotationPolicy asserts the rotation role's document grants exactly
// the protocol's four actions on secretArn, log writing on logGroupArn's
// streams and, with key, Decrypt and GenerateDataKey on it through Secrets
// Manager for this secret, and nothing else.
func checkRotationPolicy(t *testing.T, doc, secretArn, logGroupArn string, key *secretKey) {
	t.Helper()
	d := parseIAM(t, doc)
	grants := grantsOf(t, d)
	want := []grant{
		{[]string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"}, []string{secretArn}, nil},
		{[]string{"logs:CreateLogStream", "logs:PutLogEvents"}, []string{logGroupArn + ":*"}, nil},
	}
	if key != nil {
		want = append(want, keyGrant(key, secretArn, "kms:Decrypt", "kms:GenerateDataKey"))
	}
	if !reflect.DeepEqual(grants, want) {
		t.Fatalf("rotation policy grants %+v, want exactly %+v", grants, want)
	}
	if key != nil {
		checkKeyUse(t, d, key, secretArn, map[string]bool{"kms:Decrypt": true, "kms:GenerateDataKey": true})
	}
	stream := logGroupArn + ":log-stream:2026/01/01/[$LATEST]abc"
	for _, c := range []struct {
		action, resource string
		want             bool
	}{
		{"secretsmanager:PutSecretValue", secretArn, true},
		{"secretsmanager:UpdateSecretVersionStage", secretArn, true},
		{"secretsmanager:GetSecretValue", otherSecretArn, false},
		{"secretsmanager:GetRandomPassword", "*", false},
		{"secretsmanager:DeleteSecret", secretArn, false},
		{"logs:PutLogEvents", stream, true},
		{"logs:PutLogEvents", otherLogGroup + ":log-stream:x", false},
		{"logs:CreateLogGroup", logGroupArn, false},
	} {
		if got := d.allows(c.action, c.resource, nil); got != c.want {
			t.Errorf("rotation policy allows %s on %s = %v, want %v", c.action, c.resource, got, c.want)
		}
	}
}

// checkKeyUse evaluates the KMS grants of d: the actions in want are
// allowed on the key only through Secrets Manager of the key's region and
// only for secretArn; nothing is allowed on another key or directly.
func checkKeyUse(t *testing.T, d iamDocument, key *secretKey, secretArn string, want map[string]bool) {
	t.Helper()
	via := map[string]string{
		"kms:ViaService":                  "secretsmanager." + key.region + ".amazonaws.com",
		"kms:EncryptionContext:SecretARN": secretArn,
	}
	for _, action := range []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncryptFrom", "kms:CreateGrant", "kms:ScheduleKeyDeletion"} {
		if got := d.allows(action, key.keyArn, via); got != want[action] {
			t.Errorf("%s through Secrets Manager allowed = %v, want %v", action, got, want[action])
		}
	}
	for name, ctx := range map[string]map[string]string{
		"directly":                   {"kms:EncryptionContext:SecretARN": secretArn},
		"through another service":    {"kms:ViaService": "s3." + key.region + ".amazonaws.com", "kms:EncryptionContext:SecretARN": secretArn},
		"in another region":          {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com", "kms:EncryptionContext:SecretARN": secretArn},
		"for another secret":         {"kms:ViaService": via["kms:ViaService"], "kms:EncryptionContext:SecretARN": otherSecretArn},
		"without encryption context": {"kms:ViaService": via["kms:ViaService"]},
	} {
		if d.allows("kms:Decrypt", key.keyArn, ctx) {
			t.Errorf("kms:Decrypt allowed %s", name)
		}
	}
	if d.allows("kms:Decrypt", otherKeyArn, via) {
		t.Error("kms:Decrypt allowed on another key")
	}
}

var (
	testKey     = &secretKey{keyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", region: "us-east-1"}
	otherKeyArn = "arn:aws:kms:us-east-1:123456789012:key/99999999-12ab-34cd-56ef-1234567890ab"
)

func TestRotationPolicy(t *testing.T) {
	for _, key := range []*secretKey{nil, testKey} {
		doc, err := rotationPolicy(testSecretArn, testLogGroupArn, key)
		if err != nil {
			t.Fatal(err)
		}
		checkRotationPolicy(t, doc, testSecretArn, testLogGroupArn, key)
	}
}

// checkReaderPolicy asserts the reader document grants reading secretArn and
// its replicas and, with key, decrypting through Secrets Manager for this
// secret, and nothing else.
func checkReaderPolicy(t *testing.T, doc, secretArn string, replicas []string, key *secretKey) {
	t.Helper()
	d := parseIAM(t, doc)
	want := []grant{{[]string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}, append([]string{secretArn}, replicas...), nil}}
	if key != nil {
		want = append(want, keyGrant(key, secretArn, "kms:Decrypt"))
	}
	if got := grantsOf(t, d); !reflect.DeepEqual(got, want) {
		t.Fatalf("reader policy grants %+v, want exactly %+v", got, want)
	}
	for _, arn := range append([]string{secretArn}, replicas...) {
		if !d.allows("secretsmanager:GetSecretValue", arn, nil) {
			t.Errorf("reader policy does not allow reading %s", arn)
		}
	}
	if d.allows("secretsmanager:GetSecretValue", otherSecretArn, nil) || d.allows("secretsmanager:PutSecretValue", secretArn, nil) {
		t.Fatal("reader policy allows more than reading this secret")
	}
	if key != nil {
		checkKeyUse(t, d, key, secretArn, map[string]bool{"kms:Decrypt": true})
	}
}

func TestReaderPolicy(t *testing.T) {
	replicas := []string{replicaArn(testSecretArn, "eu-west-1"), replicaArn(testSecretArn, "us-west-2")}
	for _, tc := range []struct {
		replicas []string
		key      *secretKey
	}{{nil, nil}, {replicas, nil}, {nil, testKey}, {replicas, testKey}} {
		doc, err := readerPolicy(testSecretArn, tc.replicas, tc.key)
		if err != nil {
			t.Fatal(err)
		}
		checkReaderPolicy(t, doc, testSecretArn, tc.replicas, tc.key)
	}
}

func TestReplicaArn(t *testing.T) {
	got := replicaArn(testSecretArn, "eu-west-1")
	if want := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev-auris-jwt-secret-AbCdEf"; got != want {
		t.Fatalf("replicaArn = %s, want %s", got, want)
	}
	if got := replicaArns(testSecretArn, []string{"us-west-2", "eu-west-1"}); !reflect.DeepEqual(got, []string{
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev-auris-jwt-secret-AbCdEf",
		"arn:aws:secretsmanager:us-west-2:123456789012:secret:dev-auris-jwt-secret-AbCdEf",
	}) {
		t.Fatalf("replicaArns = %v, want them sorted by region", got)
	}
}

func checkAssumeRolePolicy(t *testing.T, doc string) {
	t.Helper()
	d := parseIAM(t, doc)
	if len(d.Statement) != 1 {
		t.Fatalf("trust policy has %d statements, want 1", len(d.Statement))
	}
	s := d.Statement[0]
	if s.Effect != "Allow" || !reflect.DeepEqual([]string(s.Action), []string{"sts:AssumeRole"}) ||
		!reflect.DeepEqual(s.Principal, map[string]strList{"Service": {"lambda.amazonaws.com"}}) || len(s.Resource) > 0 {
		t.Fatalf("trust statement %+v, want only lambda.amazonaws.com to assume the role", s)
	}
}

func TestAssumeRolePolicy(t *testing.T) {
	doc, err := lambdaAssumeRolePolicy()
	if err != nil {
		t.Fatal(err)
	}
	checkAssumeRolePolicy(t, doc)
}

// The created key's policy is AWS's default: the account, through IAM, and
// nobody else.
func checkKeyPolicy(t *testing.T, doc, partition, account string) {
	t.Helper()
	d := parseIAM(t, doc)
	if len(d.Statement) != 1 {
		t.Fatalf("key policy has %d statements, want 1", len(d.Statement))
	}
	s := d.Statement[0]
	root := "arn:" + partition + ":iam::" + account + ":root"
	if s.Effect != "Allow" || !reflect.DeepEqual(s.Principal, map[string]strList{"AWS": {root}}) ||
		!reflect.DeepEqual([]string(s.Action), []string{"kms:*"}) || !reflect.DeepEqual([]string(s.Resource), []string{"*"}) || len(s.Condition) > 0 {
		t.Fatalf("key policy statement %+v, want the account root with kms:*", s)
	}
	if _, allowed := d.resourceDecision(principal{"AWS", "arn:aws:iam::210987654321:root"}, "kms:Decrypt", "*", nil); allowed {
		t.Fatal("the key policy lets another account use the key")
	}
}

func TestKeyPolicy(t *testing.T) {
	doc, err := keyPolicy("aws", testAccount)
	if err != nil {
		t.Fatal(err)
	}
	checkKeyPolicy(t, doc, "aws", testAccount)
}

const (
	testTopicArn = "arn:aws:sns:us-east-1:123456789012:dev-auris-jwt-alerts"
	testAlarmArn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:dev-auris-jwt-rotation-errors"
	testRuleArn  = "arn:aws:events:us-east-1:123456789012:rule/dev-auris-jwt-rotation-failed"
)

// checkAlertTopicPolicy: CloudWatch may publish for the alarm, EventBridge
// for the rule, both only from this account; nobody else may publish or do
// anything else through the topic policy.
func checkAlertTopicPolicy(t *testing.T, doc, topicArn, account, alarmArn, ruleArn string) {
	t.Helper()
	d := parseIAM(t, doc)
	from := func(sourceArn, sourceAccount string) map[string]string {
		return map[string]string{"aws:SourceArn": sourceArn, "aws:SourceAccount": sourceAccount}
	}
	cloudwatch := principal{"Service", "cloudwatch.amazonaws.com"}
	events := principal{"Service", "events.amazonaws.com"}
	for _, c := range []struct {
		who    principal
		action string
		ctx    map[string]string
		want   bool
	}{
		{cloudwatch, "sns:Publish", from(alarmArn, account), true},
		{events, "sns:Publish", from(ruleArn, account), true},
		{cloudwatch, "sns:Publish", from(ruleArn, account), false},
		{events, "sns:Publish", from(alarmArn, account), false},
		{cloudwatch, "sns:Publish", from(strings.Replace(alarmArn, "errors", "other", 1), account), false},
		{events, "sns:Publish", from(ruleArn, "210987654321"), false},
		{events, "sns:Publish", nil, false},
		{principal{"Service", "s3.amazonaws.com"}, "sns:Publish", from(alarmArn, account), false},
		{principal{"AWS", "arn:aws:iam::" + account + ":root"}, "sns:Publish", nil, false},
		{principal{"AWS", "arn:aws:iam::210987654321:root"}, "sns:Subscribe", nil, false},
		{cloudwatch, "sns:Subscribe", from(alarmArn, account), false},
	} {
		denied, allowed := d.resourceDecision(c.who, c.action, topicArn, c.ctx)
		if denied || allowed != c.want {
			t.Errorf("%v %s %v: allowed = %v, want %v", c.who, c.action, c.ctx, allowed, c.want)
		}
	}
	for _, s := range d.Statement {
		if !reflect.DeepEqual([]string(s.Resource), []string{topicArn}) {
			t.Errorf("statement %s on %v, want the topic only", s.Sid, s.Resource)
		}
	}
}

func TestAlertTopicPolicy(t *testing.T) {
	doc, err := alertTopicPolicy(testTopicArn, testAccount, testAlarmArn, testRuleArn)
	if err != nil {
		t.Fatal(err)
	}
	checkAlertTopicPolicy(t, doc, testTopicArn, testAccount, testAlarmArn, testRuleArn)
}
