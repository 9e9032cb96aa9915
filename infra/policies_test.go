package infra

import (
	"reflect"
	"slices"
	"testing"
)

const (
	testSecretArn   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-auris-jwt-secret-AbCdEf"
	otherSecretArn  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-payments-key-XyZ123"
	testLogGroupArn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/dev-auris-jwt-rotation"
	otherLogGroup   = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/other"
)

// checkRotationPolicy asserts the rotation role's document grants exactly
// the protocol's four actions on secretArn and log writing on logGroupArn's
// streams, and nothing else.
func checkRotationPolicy(t *testing.T, doc, secretArn, logGroupArn string) {
	t.Helper()
	d := parseIAM(t, doc)
	type grant struct {
		actions, resources []string
	}
	var grants []grant
	for _, s := range d.Statement {
		if s.Effect != "Allow" || len(s.Condition) > 0 || len(s.Principal) > 0 {
			t.Errorf("unexpected statement %+v", s)
		}
		grants = append(grants, grant{slices.Sorted(slices.Values(s.Action)), s.Resource})
	}
	want := []grant{
		{[]string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"}, []string{secretArn}},
		{[]string{"logs:CreateLogStream", "logs:PutLogEvents"}, []string{logGroupArn + ":*"}},
	}
	if !reflect.DeepEqual(grants, want) {
		t.Fatalf("rotation policy grants %+v, want exactly %+v", grants, want)
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

func TestRotationPolicy(t *testing.T) {
	doc, err := rotationPolicy(testSecretArn, testLogGroupArn)
	if err != nil {
		t.Fatal(err)
	}
	checkRotationPolicy(t, doc, testSecretArn, testLogGroupArn)
}

// checkReaderPolicy asserts the reader document grants reading secretArn and
// nothing else.
func checkReaderPolicy(t *testing.T, doc, secretArn string) {
	t.Helper()
	d := parseIAM(t, doc)
	if len(d.Statement) != 1 {
		t.Fatalf("reader policy has %d statements, want 1", len(d.Statement))
	}
	s := d.Statement[0]
	if got := slices.Sorted(slices.Values(s.Action)); !reflect.DeepEqual(got, []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}) ||
		!reflect.DeepEqual([]string(s.Resource), []string{secretArn}) || s.Effect != "Allow" || len(s.Condition) > 0 {
		t.Fatalf("reader statement %+v", s)
	}
	if d.allows("secretsmanager:GetSecretValue", otherSecretArn, nil) || d.allows("secretsmanager:PutSecretValue", secretArn, nil) {
		t.Fatal("reader policy allows more than reading this secret")
	}
}

func TestReaderPolicy(t *testing.T) {
	doc, err := readerPolicy(testSecretArn)
	if err != nil {
		t.Fatal(err)
	}
	checkReaderPolicy(t, doc, testSecretArn)
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
