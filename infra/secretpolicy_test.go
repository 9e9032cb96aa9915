package infra

import (
	"reflect"
	"strings"
	"testing"

	"github.com/auris/jwtsecret/infra/infratest"
)

func TestDeployerPrincipalArns(t *testing.T) {
	for caller, want := range map[string][]string{
		// A role session: the role by name, under any path.
		"arn:aws:sts::123456789012:assumed-role/deployer/ci": {
			"arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:role/*/deployer",
		},
		"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane@example.com": {
			"arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef",
			"arn:aws:iam::123456789012:role/*/AWSReservedSSO_Admin_0123456789abcdef",
		},
		"arn:aws-us-gov:sts::123456789012:assumed-role/deployer/i-0abc": {
			"arn:aws-us-gov:iam::123456789012:role/deployer", "arn:aws-us-gov:iam::123456789012:role/*/deployer",
		},
		// Identities whose principal ARN is what GetCallerIdentity says.
		"arn:aws:iam::123456789012:user/jane":          {"arn:aws:iam::123456789012:user/jane"},
		"arn:aws:iam::123456789012:user/admins/jane":   {"arn:aws:iam::123456789012:user/admins/jane"},
		"arn:aws:iam::123456789012:root":               {"arn:aws:iam::123456789012:root"},
		"arn:aws:sts::123456789012:federated-user/bob": {"arn:aws:sts::123456789012:federated-user/bob"},
	} {
		got, err := deployerPrincipalArns(caller)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("deployerPrincipalArns(%s) = %v, %v; want %v", caller, got, err, want)
		}
	}
	for _, caller := range []string{
		"",
		"deployer",
		"arn:aws:sts::123456789012:assumed-role/deployer", // no session
		"arn:aws:iam::123456789012:role/deployer",         // GetCallerIdentity never reports a role itself
		"arn:aws:sts::123456789012:assumed-role/a/b/c",    // role names have no slash
	} {
		if got, err := deployerPrincipalArns(caller); err == nil {
			t.Errorf("deployerPrincipalArns(%q) = %v, want an error", caller, got)
		}
	}
}

// The converted patterns match the principal ARN AWS evaluates for the
// session, wherever the role's path, and no other role.
func TestDeployerPatternsMatchTheRoleOnly(t *testing.T) {
	patterns, err := deployerPrincipalArns(infratest.CallerArn) // assumed-role/deployer/ci
	if err != nil {
		t.Fatal(err)
	}
	const role = "arn:aws:iam::123456789012:role/"
	for arn, want := range map[string]bool{
		role + "deployer":    true,
		role + "ci/deployer": true,
		role + "aws-reserved/sso.amazonaws.com/deployer": true,
		role + "deployer2":                        false,
		role + "legacy-deployer":                  false,
		role + "deployer/other":                   false,
		"arn:aws:iam::210987654321:role/deployer": false,
		"arn:aws:iam::123456789012:user/deployer": false,
	} {
		if got := anyArnGlob(patterns, arn); got != want {
			t.Errorf("%s matched = %v, want %v", arn, got, want)
		}
	}
}

const (
	testAccount     = "123456789012"
	testRotationArn = "arn:aws:iam::123456789012:role/dev-auris-jwt-rotation"
)

// principalContext is the request context of a request signed by an IAM
// principal (a role session's principal ARN is its role's).
func principalContext(arn string) map[string]string {
	return map[string]string{
		"aws:PrincipalArn":          arn,
		"aws:PrincipalAccount":      strings.Split(arn, ":")[4],
		"aws:PrincipalIsAWSService": "false",
	}
}

// denied evaluates the secret's resource policy for a GetSecretValue of the
// secret by the principal with that request context.
func denied(t *testing.T, d iamDocument, ctx map[string]string) bool {
	t.Helper()
	who := principal{"AWS", ctx["aws:PrincipalArn"]}
	if ctx["aws:PrincipalIsAWSService"] == "true" {
		who = principal{"Service", "secretsmanager.amazonaws.com"}
	}
	deny, allow := d.resourceDecision(who, "secretsmanager:GetSecretValue", testSecretArn, ctx)
	if allow {
		t.Fatal("the resource policy allows something; it must only deny")
	}
	return deny
}

// checkSecretResourcePolicy evaluates the document for sample principals:
// with restrict, only the rotation role, the readers (by name, any path) and
// the deployer read; without, everyone in the account may (as far as their
// identity policies allow). Outside principals and anonymous requests are
// always denied; AWS services acting as themselves never are. Reading is all
// it denies.
func checkSecretResourcePolicy(t *testing.T, doc string, rotationRoleArn string, readers []string, restrict bool) {
	t.Helper()
	d := parseIAM(t, doc)
	const role = "arn:aws:iam::123456789012:role/"
	keep := []string{rotationRoleArn, role + "deployer", role + "ci/deployer", role + "aws-reserved/sso.amazonaws.com/deployer"}
	for _, r := range readers {
		keep = append(keep, role+r, role+"service-role/"+r)
	}
	others := []string{role + "admin", role + "deployer-old", "arn:aws:iam::123456789012:user/jane", "arn:aws:iam::123456789012:root"}
	for _, r := range readers {
		others = append(others, role+r+"-old", role+"x"+r)
	}
	outside := []string{"arn:aws:iam::210987654321:role/deployer", "arn:aws:iam::210987654321:role/" + readers[0], "arn:aws:iam::210987654321:root"}

	for _, arn := range keep {
		if denied(t, d, principalContext(arn)) {
			t.Errorf("%s is denied reading the value", arn)
		}
	}
	for _, arn := range others {
		if got := denied(t, d, principalContext(arn)); got != restrict {
			t.Errorf("%s denied = %v, want %v (restrictReaders %v)", arn, got, restrict, restrict)
		}
	}
	for _, arn := range outside {
		if !denied(t, d, principalContext(arn)) {
			t.Errorf("%s, outside the account, may read the value", arn)
		}
	}
	if !denied(t, d, nil) {
		t.Error("an anonymous request may read the value")
	}
	if denied(t, d, map[string]string{"aws:PrincipalIsAWSService": "true"}) {
		t.Error("Secrets Manager itself (replication) is denied")
	}
	// Only reading is denied: managing the secret stays with IAM.
	deny, _ := d.resourceDecision(principal{"AWS", role + "admin"}, "secretsmanager:DescribeSecret", testSecretArn,
		principalContext("arn:aws:iam::210987654321:role/admin"))
	if deny {
		t.Error("the resource policy denies more than reading the value")
	}
}

func TestSecretResourcePolicy(t *testing.T) {
	readers := []string{"api-prod", "worker-prod"}
	open, err := secretResourcePolicy(testAccount, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSecretResourcePolicy(t, open, testRotationArn, readers, false)

	deployer, err := deployerPrincipalArns(infratest.CallerArn)
	if err != nil {
		t.Fatal(err)
	}
	var readerArns []string
	for _, r := range readers {
		readerArns = append(readerArns, rolePrincipalArns("aws", testAccount, r)...)
	}
	restricted, err := secretResourcePolicy(testAccount, &readRestriction{
		rotationRoleArn: testRotationArn, readerRoleArns: readerArns, deployerArns: deployer,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkSecretResourcePolicy(t, restricted, testRotationArn, readers, true)
}

// TestRotationRoleAndReadersKeepAccess combines both sides as IAM does for
// a principal of the account: the identity policy must allow and the
// resource policy must not deny. The rotation role and a reader read the
// value with restrictReaders on; a role without the reader policy cannot,
// even if the resource policy let it.
func TestRotationRoleAndReadersKeepAccess(t *testing.T) {
	deployer, err := deployerPrincipalArns(infratest.CallerArn)
	if err != nil {
		t.Fatal(err)
	}
	resource, err := secretResourcePolicy(testAccount, &readRestriction{
		rotationRoleArn: testRotationArn,
		readerRoleArns:  rolePrincipalArns("aws", testAccount, "api-prod"),
		deployerArns:    deployer,
	})
	if err != nil {
		t.Fatal(err)
	}
	rotationDoc, err := rotationPolicy(testSecretArn, testLogGroupArn, testKey)
	if err != nil {
		t.Fatal(err)
	}
	readerDoc, err := readerPolicy(testSecretArn, nil, testKey)
	if err != nil {
		t.Fatal(err)
	}
	res, rotation, reader := parseIAM(t, resource), parseIAM(t, rotationDoc), parseIAM(t, readerDoc)
	canRead := func(identity iamDocument, roleArn string) bool {
		return identity.allows("secretsmanager:GetSecretValue", testSecretArn, nil) && !denied(t, res, principalContext(roleArn))
	}
	if !canRead(rotation, testRotationArn) {
		t.Error("the rotation role cannot read the secret")
	}
	for _, r := range []string{"arn:aws:iam::123456789012:role/api-prod", "arn:aws:iam::123456789012:role/service-role/api-prod"} {
		if !canRead(reader, r) {
			t.Errorf("reader %s cannot read the secret", r)
		}
	}
	if canRead(reader, "arn:aws:iam::123456789012:role/worker-prod") {
		t.Error("a role not in readerRoles reads the secret with the reader policy attached")
	}
	if canRead(parseIAM(t, `{"Version":"2012-10-17","Statement":[]}`), "arn:aws:iam::123456789012:role/api-prod") {
		t.Error("a reader without the reader policy reads the secret")
	}
	// The rotation role also writes the value; the policy does not stand
	// in its way.
	deny, _ := res.resourceDecision(principal{"AWS", testRotationArn}, "secretsmanager:PutSecretValue", testSecretArn, principalContext(testRotationArn))
	if deny || !rotation.allows("secretsmanager:PutSecretValue", testSecretArn, nil) {
		t.Error("the rotation role cannot write the secret")
	}
}
