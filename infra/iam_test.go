package infra

import (
	"encoding/json"
	"fmt"
	"regexp"
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

var supportedConditions = map[string]bool{"StringEquals": true, "StringLike": true, "ArnLike": true, "ArnEquals": true}

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
			if !ok {
				return false
			}
			switch op {
			case "StringEquals", "ArnEquals":
				if !contains(values, got) {
					return false
				}
			case "StringLike", "ArnLike":
				if !anyGlob(values, got, false) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
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
