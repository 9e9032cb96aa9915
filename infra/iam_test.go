package infra

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A small IAM policy evaluator for the tests: enough of the language to
// answer "does this document allow action A on resource R with these
// request context keys", and strict about what it does not support, so a
// document using more of the language fails the tests instead of being
// misjudged.

type strList []string

func (l *strList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = strList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*l = many
	return nil
}

type iamStatement struct {
	Sid         string                        `json:"Sid"`
	Effect      string                        `json:"Effect"`
	Principal   map[string]strList            `json:"Principal"`
	Action      strList                       `json:"Action"`
	NotAction   strList                       `json:"NotAction"`
	Resource    strList                       `json:"Resource"`
	NotResource strList                       `json:"NotResource"`
	Condition   map[string]map[string]strList `json:"Condition"`
}

type iamDocument struct {
	Version   string         `json:"Version"`
	Statement []iamStatement `json:"Statement"`
}

var supportedConditions = map[string]bool{
	"StringEquals": true, "StringNotEquals": true, "StringLike": true,
	"ArnEquals": true, "ArnLike": true, "ArnNotLike": true,
	"BoolIfExists": true,
}

func parseIAM(t *testing.T, doc string) iamDocument {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	var d iamDocument
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("not an IAM policy document: %v\n%s", err, doc)
	}
	if d.Version != "2012-10-17" {
		t.Errorf("Version %q, want 2012-10-17", d.Version)
	}
	for _, s := range d.Statement {
		if s.Effect != "Allow" && s.Effect != "Deny" {
			t.Errorf("statement %q: Effect %q", s.Sid, s.Effect)
		}
		if len(s.NotAction) > 0 || len(s.NotResource) > 0 {
			t.Errorf("statement %q uses NotAction/NotResource, which grant more than they seem to", s.Sid)
		}
		for op := range s.Condition {
			if !supportedConditions[op] {
				t.Errorf("statement %q: condition operator %s is not understood by this test", s.Sid, op)
			}
		}
	}
	return d
}

// glob matches IAM wildcards: * any run, ? one character.
func glob(pattern, s string, foldCase bool) bool {
	var re strings.Builder
	re.WriteString("^")
	if foldCase {
		re.WriteString("(?i)")
	}
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(".*")
		case '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(s)
}

func anyGlob(patterns []string, s string, foldCase bool) bool {
	for _, p := range patterns {
		if glob(p, s, foldCase) {
			return true
		}
	}
	return false
}

// arnGlob matches an ARN the way ArnLike does: each of the six
// colon-separated parts on its own, so a wildcard never spans a colon.
func arnGlob(pattern, arn string) bool {
	p, a := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(p) != 6 || len(a) != 6 {
		return false
	}
	for i := range p {
		if !glob(p[i], a[i], false) {
			return false
		}
	}
	return true
}

func anyArnGlob(patterns []string, arn string) bool {
	for _, p := range patterns {
		if arnGlob(p, arn) {
			return true
		}
	}
	return false
}

// conditionHolds evaluates one operator on one context key: several values
// are alternatives; a negated operator holds when the key is absent, an
// ...IfExists one too.
func conditionHolds(op string, values []string, got string, present bool) bool {
	switch op {
	case "StringEquals", "ArnEquals":
		return present && contains(values, got)
	case "StringNotEquals":
		return !present || !contains(values, got)
	case "StringLike":
		return present && anyGlob(values, got, false)
	case "ArnLike":
		return present && anyArnGlob(values, got)
	case "ArnNotLike":
		return !present || !anyArnGlob(values, got)
	case "BoolIfExists":
		return !present || slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, got) })
	}
	return false
}

func (s iamStatement) matches(action, resource string, reqCtx map[string]string) bool {
	if !anyGlob(s.Action, action, true) {
		return false
	}
	if len(s.Resource) > 0 && !anyGlob(s.Resource, resource, false) {
		return false
	}
	for op, keys := range s.Condition {
		for key, values := range keys {
			got, ok := reqCtx[key]
			if !conditionHolds(op, values, got, ok) {
				return false
			}
		}
	}
	return true
}

// principal is who makes a request, as a resource policy's Principal element
// names it: kind "AWS" (with an ARN) or "Service" (a service principal).
type principal struct{ kind, id string }

// appliesTo reports whether a resource policy statement's Principal covers
// p; {"AWS": "*"} covers everyone, service principals included.
func (s iamStatement) appliesTo(p principal) bool {
	for kind, ids := range s.Principal {
		if (kind == "AWS" && contains(ids, "*")) || (kind == p.kind && contains(ids, p.id)) {
			return true
		}
	}
	return false
}

// resourceDecision evaluates a resource policy for p: whether a statement
// explicitly denies the request and whether one allows it.
func (d iamDocument) resourceDecision(p principal, action, resource string, reqCtx map[string]string) (denied, allowed bool) {
	for _, s := range d.Statement {
		if !s.appliesTo(p) || !s.matches(action, resource, reqCtx) {
			continue
		}
		if s.Effect == "Deny" {
			denied = true
		} else {
			allowed = true
		}
	}
	return denied, allowed
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// allows reports whether the document allows action on resource: some Allow
// statement matches and no Deny statement does.
func (d iamDocument) allows(action, resource string, reqCtx map[string]string) bool {
	allowed := false
	for _, s := range d.Statement {
		if !s.matches(action, resource, reqCtx) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func TestIAMEvaluator(t *testing.T) {
	d := parseIAM(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"},
		{"Effect":"Allow","Action":["iam:PassRole"],"Resource":"arn:aws:iam::*:role/r-?",
		 "Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}},
		{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret"}]}`)
	cases := []struct {
		action, resource string
		ctx              map[string]string
		want             bool
	}{
		{"s3:GetObject", "arn:aws:s3:::b/x", nil, true},
		{"S3:getobject", "arn:aws:s3:::b/x", nil, true}, // actions are case-insensitive
		{"s3:PutObject", "arn:aws:s3:::b/x", nil, false},
		{"s3:GetObject", "arn:aws:s3:::c/x", nil, false},
		{"s3:GetObject", "arn:aws:s3:::b/secret", nil, false},
		{"iam:PassRole", "arn:aws:iam::1:role/r-1", map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}, true},
		{"iam:PassRole", "arn:aws:iam::1:role/r-1", map[string]string{"iam:PassedToService": "ec2.amazonaws.com"}, false},
		{"iam:PassRole", "arn:aws:iam::1:role/r-1", nil, false},
		{"iam:PassRole", "arn:aws:iam::1:role/r-12", map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}, false},
	}
	for _, c := range cases {
		if got := d.allows(c.action, c.resource, c.ctx); got != c.want {
			t.Errorf("allows(%s, %s, %v) = %v, want %v", c.action, c.resource, c.ctx, got, c.want)
		}
	}
}

// The operators the resource policies use, on the cases that decide them:
// absent keys, ArnLike's per-part wildcards, BoolIfExists.
func TestIAMEvaluatorResourcePolicy(t *testing.T) {
	d := parseIAM(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s:Get","Resource":"*",
		 "Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111111111111"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}},
		{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s:Get","Resource":"*",
		 "Condition":{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::111111111111:role/r","arn:aws:iam::111111111111:role/*/r"]}}},
		{"Effect":"Allow","Principal":{"Service":"x.amazonaws.com"},"Action":"s:Put","Resource":"*",
		 "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:x:us-east-1:111111111111:thing/a"}}}]}`)
	member := func(arn string) map[string]string {
		return map[string]string{"aws:PrincipalArn": arn, "aws:PrincipalAccount": strings.Split(arn, ":")[4], "aws:PrincipalIsAWSService": "false"}
	}
	aws := principal{"AWS", ""}
	for _, c := range []struct {
		ctx  map[string]string
		want bool // denied
	}{
		{member("arn:aws:iam::111111111111:role/r"), false},
		{member("arn:aws:iam::111111111111:role/a/b/r"), false},
		{member("arn:aws:iam::111111111111:role/rr"), true},
		{member("arn:aws:iam::111111111111:role/x:r"), true}, // a wildcard does not span a colon
		{member("arn:aws:iam::222222222222:role/r"), true},
		{map[string]string{"aws:PrincipalIsAWSService": "true"}, true}, // the second statement has no exemption
		{nil, true}, // anonymous
	} {
		if denied, _ := d.resourceDecision(aws, "s:Get", "arn:s", c.ctx); denied != c.want {
			t.Errorf("denied %v = %v, want %v", c.ctx, denied, c.want)
		}
	}
	svc := principal{"Service", "x.amazonaws.com"}
	if _, allowed := d.resourceDecision(svc, "s:Put", "arn:s", map[string]string{"aws:SourceArn": "arn:aws:x:us-east-1:111111111111:thing/a"}); !allowed {
		t.Error("the service is not allowed for its own source")
	}
	if _, allowed := d.resourceDecision(svc, "s:Put", "arn:s", map[string]string{"aws:SourceArn": "arn:aws:x:us-east-1:111111111111:thing/b"}); allowed {
		t.Error("the service is allowed for another source")
	}
	if _, allowed := d.resourceDecision(principal{"Service", "y.amazonaws.com"}, "s:Put", "arn:s", map[string]string{"aws:SourceArn": "arn:aws:x:us-east-1:111111111111:thing/a"}); allowed {
		t.Error("another service is allowed")
	}
}
