package infra

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/auris/jwtsecret/infra/infratest"
)

// deployerPolicyPath is the least-privilege policy for whoever runs
// `pulumi up` (README: "Deployer permissions").
var deployerPolicyPath = filepath.Join("..", "policies", "deployer-policy.json")

// need is one IAM authorization the provider's create/read/update/delete of
// a resource (as implemented by the Terraform AWS provider that pulumi-aws
// bridges) asks for.
type need struct {
	action, resource string
	context          map[string]string
}

// deployerNeeds maps every type token the program registers, and every
// invoke it makes, to the authorizations its lifecycle needs, computed from
// the registration the mocks saw. A type missing here fails the test, so a
// new resource cannot be added without deciding its deployer permissions.
var deployerNeeds = map[string]func(r *infratest.Registered) []need{
	ComponentType:      nil,
	typeRandomPassword: nil, // computed locally by the random provider
	typeSecret: func(r *infratest.Registered) []need {
		return actionsOn(r.ID, "secretsmanager:CreateSecret", "secretsmanager:TagResource", // create with tags
			"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", // read
			"secretsmanager:UpdateSecret", "secretsmanager:UntagResource", // update
			"secretsmanager:DeleteSecret") // delete
	},
	typeSecretVersion: func(r *infratest.Registered) []need {
		// Create puts the value and reads it back; refresh reads. Updates
		// (versionStages) are ignored and deletes retained, so the
		// provider never calls UpdateSecretVersionStage.
		return actionsOn(str(r, "secretId"), "secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue")
	},
	typeSecretRotation: func(r *infratest.Registered) []need {
		return append(actionsOn(str(r, "secretId"),
			"secretsmanager:RotateSecret", "secretsmanager:DescribeSecret", "secretsmanager:CancelRotateSecret"),
			// RotateSecret also requires the caller to be allowed to
			// invoke the rotation function.
			need{action: "lambda:InvokeFunction", resource: str(r, "rotationLambdaArn")})
	},
	typeLogGroup: func(r *infratest.Registered) []need {
		arn := plain(r.Outputs["arn"]).(string)
		region, account := arnRegionAccount(arn)
		return append(append(actionsOn(arn,
			"logs:CreateLogGroup", "logs:TagResource", "logs:PutRetentionPolicy", "logs:ListTagsForResource",
			"logs:UntagResource", "logs:DeleteRetentionPolicy", "logs:DeleteLogGroup"),
			actionsOn(logStreamsArn(arn), "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy")...),
			need{action: "logs:DescribeLogGroups", resource: "arn:aws:logs:" + region + ":" + account + ":log-group:*"})
	},
	typeRole: func(r *infratest.Registered) []need {
		return actionsOn(plain(r.Outputs["arn"]).(string),
			"iam:CreateRole", "iam:TagRole", "iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
			"iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy", "iam:UntagRole",
			"iam:ListInstanceProfilesForRole", "iam:DeleteRole")
	},
	typeRolePolicy: func(r *infratest.Registered) []need {
		return actionsOn(roleArn(str(r, "role")), "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy")
	},
	typePolicy: func(r *infratest.Registered) []need {
		return actionsOn(r.ID, "iam:CreatePolicy", "iam:TagPolicy", "iam:GetPolicy", "iam:GetPolicyVersion",
			"iam:ListPolicyVersions", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:UntagPolicy",
			"iam:DeletePolicy")
	},
	typeAttachment: func(r *infratest.Registered) []need {
		role := roleArn(str(r, "role"))
		policy := map[string]string{"iam:PolicyARN": str(r, "policyArn")}
		return []need{
			{action: "iam:AttachRolePolicy", resource: role, context: policy},
			{action: "iam:DetachRolePolicy", resource: role, context: policy},
			{action: "iam:ListAttachedRolePolicies", resource: role},
		}
	},
	typeFunction: func(r *infratest.Registered) []need {
		return append(actionsOn(plain(r.Outputs["arn"]).(string),
			"lambda:CreateFunction", "lambda:TagResource", "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig",
			"lambda:ListVersionsByFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
			"lambda:UntagResource", "lambda:DeleteFunction"),
			need{action: "iam:PassRole", resource: str(r, "role"), context: map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}})
	},
	typePermission: func(r *infratest.Registered) []need {
		return actionsOn(functionArn(str(r, "sourceArn"), str(r, "function")),
			"lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission")
	},
}

// invokeNeeds are the authorizations of the invokes the program makes.
var invokeNeeds = map[string][]need{
	"aws:index/getCallerIdentity:getCallerIdentity": {{action: "sts:GetCallerIdentity", resource: "*"}},
	"aws:index/getRegion:getRegion":                 nil, // answered from the provider's configuration
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

func loadDeployerPolicy(t *testing.T) iamDocument {
	t.Helper()
	raw, err := os.ReadFile(deployerPolicyPath)
	if err != nil {
		t.Fatal(err)
	}
	return parseIAM(t, string(raw))
}

func TestDeployerPolicyCoversTheProgram(t *testing.T) {
	policy := loadDeployerPolicy(t)
	for _, stack := range []string{"dev", "prod"} {
		cfg := loadStackConfig(t, stack)
		cfg["auris-jwtsecret:readerRoles"] = `["app-api","app-worker"]`
		cfg["auris-jwtsecret:tags"] = `{"Team":"identity"}`
		m, _, err := runProgram(t, stack, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
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
			for _, n := range needs(r) {
				if !policy.allows(n.action, n.resource, n.context) {
					t.Errorf("%s (%s): the deployer policy does not allow %s on %s %v", stack, r.Type, n.action, n.resource, n.context)
				}
			}
		}
		for typ := range deployerNeeds {
			if !seen[typ] {
				t.Errorf("deployerNeeds lists %s, which the program no longer registers", typ)
			}
		}
		for _, call := range m.Calls() {
			needs, ok := invokeNeeds[call]
			if !ok {
				t.Errorf("no deployer permissions decided for invoke %s", call)
			}
			for _, n := range needs {
				if !policy.allows(n.action, n.resource, n.context) {
					t.Errorf("the deployer policy does not allow %s (for %s)", n.action, call)
				}
			}
		}
	}
}

// TestDeployerPolicyIsScoped checks that the deployer policy only reaches
// this project's resources.
func TestDeployerPolicyIsScoped(t *testing.T) {
	policy := loadDeployerPolicy(t)
	for _, s := range policy.Statement {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Action {
			if strings.Contains(a, "*") {
				t.Errorf("statement %s: wildcard action %s", s.Sid, a)
			}
		}
		for _, res := range s.Resource {
			starOK := slices.Equal(s.Action, []string{"sts:GetCallerIdentity"})
			scoped := strings.Contains(res, "-auris-jwt-")
			// Reader roles have the applications' names; only attaching
			// (the reader policy, by condition) and listing reach them.
			appRoles := res == "arn:aws:iam::*:role/*" && !slices.ContainsFunc(s.Action, func(a string) bool {
				return !slices.Contains([]string{"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"}, a)
			})
			listing := res == "arn:aws:logs:*:*:log-group:*" && slices.Equal(s.Action, []string{"logs:DescribeLogGroups"})
			if !(starOK && res == "*") && !scoped && !appRoles && !listing {
				t.Errorf("statement %s: resource %s is not scoped to *-auris-jwt-*", s.Sid, res)
			}
		}
	}

	const acct = infratest.AccountID
	denied := []need{
		{action: "secretsmanager:GetSecretValue", resource: "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:payments-db-password-AbCdEf"},
		{action: "secretsmanager:DeleteSecret", resource: "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:payments-db-password-AbCdEf"},
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
	}
	for _, n := range denied {
		if policy.allows(n.action, n.resource, n.context) {
			t.Errorf("the deployer policy allows %s on %s %v", n.action, n.resource, n.context)
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
