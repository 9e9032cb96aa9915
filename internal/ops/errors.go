package ops

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
)

// awsError is a failed AWS call explained for an operator: exit 2.
type awsError struct {
	msg string
	err error
}

func (e *awsError) Error() string { return e.msg }
func (e *awsError) Unwrap() error { return e.err }

// explain turns the error of the Secrets Manager call action on t into a
// message that says what to do. The SDK's own text stays at the end of
// every message: it names the principal and the policy in an AccessDenied.
func explain(err error, t target, action string) error {
	if err == nil {
		return nil
	}
	e := &awsError{err: err}
	call := fmt.Sprintf("secretsmanager:%s on %s (region %s)", action, t.secretID, t.region)
	if isCredentialsError(err) {
		what := "could not get AWS credentials"
		if strings.Contains(err.Error(), "no EC2 IMDS role found") {
			// The default chain's last provider failed: nothing earlier
			// (environment, profile, SSO) was configured either.
			what = "no AWS credentials found"
		}
		e.msg = fmt.Sprintf("%s for %s: set AWS_PROFILE to a configured profile (after `aws sso login --profile NAME` "+
			"for an SSO profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n  SDK: %v", what, call, err)
		return e
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		said := api.ErrorCode() + ": " + api.ErrorMessage()
		switch api.ErrorCode() {
		case "ResourceNotFoundException":
			e.msg = notFound(t, action) + "\n  AWS: " + said
		case "AccessDeniedException", "AccessDenied":
			e.msg = fmt.Sprintf("access denied: the caller may not call %s. Grant secretsmanager:%s on the secret's ARN "+
				"(%s) in the caller's IAM policy%s; "+
				"an explicit deny in the secret's resource policy or an SCP has the same effect\n  AWS: %s",
				call, action, resourcePattern(t), extraGrant(action), said)
		case "UnrecognizedClientException", "InvalidClientTokenId":
			e.msg = fmt.Sprintf("the AWS credentials were not recognised calling %s: the access key id or session token is "+
				"wrong (check AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN), or region %s is an opt-in region "+
				"not enabled for the account (wrong region?)\n  AWS: %s", call, t.region, said)
		case "InvalidSignatureException", "SignatureDoesNotMatch":
			e.msg = fmt.Sprintf("the request signature was rejected calling %s: the secret access key does not belong "+
				"to the access key id (check AWS_SECRET_ACCESS_KEY or the profile), or this machine's clock is wrong\n  AWS: %s",
				call, said)
		case "ExpiredTokenException", "ExpiredToken", "RequestExpired":
			e.msg = fmt.Sprintf("the AWS session credentials have expired calling %s: refresh them "+
				"(`aws sso login --profile NAME`, or a new assume-role session) and retry\n  AWS: %s", call, said)
		default:
			e.msg = fmt.Sprintf("%s failed\n  AWS: %s", call, said)
		}
		return e
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		e.msg = fmt.Sprintf("cannot resolve the Secrets Manager endpoint for region %s (%s) calling %s: "+
			"is %s a region where the secret can exist, and is this machine online?\n  SDK: %v", t.region, dns.Name, call, t.region, err)
		return e
	}
	var op *net.OpError
	if errors.As(err, &op) {
		e.msg = fmt.Sprintf("cannot reach Secrets Manager in region %s calling %s: network error\n  SDK: %v", t.region, call, err)
		return e
	}
	return fmt.Errorf("%s: %w", call, err)
}

// isCredentialsError reports whether err is the SDK failing to obtain
// credentials, before any request was sent. aws-sdk-go-v2 has no error type
// for it: its auth middleware wraps whatever the credential chain returned
// in "get identity: get credentials: ...", which is matched here.
func isCredentialsError(err error) bool {
	var empty *credentials.StaticCredentialsEmptyError
	if errors.As(err, &empty) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "get credentials: ") || strings.Contains(s, "failed to refresh cached credentials")
}

// notFound explains a missing secret: the usual causes are the region and
// a stage that was never deployed.
func notFound(t target, action string) string {
	msg := fmt.Sprintf("secret %s not found in region %s (%s; call secretsmanager:%s). Wrong region? Pass --region", t.secretID, t.region, t.regionFrom, action)
	if t.stage != "" {
		return msg + fmt.Sprintf(". Not deployed? Deploy the stage with `pulumi up -s %s`", t.stage)
	}
	return msg + fmt.Sprintf(", or the secret's ARN. Wrong name? `aws secretsmanager list-secrets --region %s`", t.region)
}

// extraGrant names what an action needs beyond the Secrets Manager
// permission itself.
func extraGrant(action string) string {
	if action == "RotateSecret" {
		return ", and lambda:InvokeFunction on the rotation function"
	}
	return ""
}

// resourcePattern is the IAM resource that covers the secret: its ARN when
// known, else the name pattern (AWS appends six random characters to a
// secret's name in its ARN).
func resourcePattern(t target) string {
	if strings.HasPrefix(t.secretID, "arn:") {
		return t.secretID
	}
	return fmt.Sprintf("arn:aws:secretsmanager:%s:ACCOUNT:secret:%s-??????", t.region, t.secretID)
}
