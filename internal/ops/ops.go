// Package ops is the operator command for the JWT signing secret
// (cmd/jwtsecretctl): it reports a secret's rotation health, starts a
// rotation and revokes the grace key after a leak.
//
// Everything runs in Run, behind Client, the four Secrets Manager calls the
// command makes, so that tests drive the whole command in-process against
// moto. None of those calls returns a secret value: the command cannot print
// one because it never has one.
package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/auris/jwtsecret/naming"
)

// Exit codes. Scripts and alarms branch on them, so they never change
// meaning.
const (
	// ExitOK: the command did what was asked; for status, the secret is
	// healthy.
	ExitOK = 0
	// ExitUsage: bad arguments (unknown command or flag, invalid stage or
	// region, --stage and --secret-id both or neither). Nothing was called.
	ExitUsage = 1
	// ExitAWS: AWS refused or could not be reached: secret not found (or
	// wrong region), access denied, no or invalid credentials, network.
	ExitAWS = 2
	// ExitUnhealthy: status found a problem (rotation disabled, a rotation
	// that did not finish, the secret scheduled for deletion).
	ExitUnhealthy = 3
	// ExitRefused: the command declined to act and changed nothing
	// (nothing to revoke, not confirmed, rotation disabled or already
	// running).
	ExitRefused = 4
)

// DefaultRegion is the region used when neither --region, the secret's ARN
// nor the environment names one: the program's default.
const DefaultRegion = naming.DefaultRegion

// PendingGrace is how long an AWSPENDING version may exist before status
// calls the rotation stuck. A rotation by this project's function takes
// seconds; 15 minutes is the longest a single Lambda invocation can run, so
// a rotation still pending after that has failed rather than being slow.
// Without the grace period `status` right after `rotate` would report a
// healthy rotation in flight as stuck.
const PendingGrace = 15 * time.Minute

// Client is the part of the Secrets Manager API the command uses;
// *secretsmanager.Client implements it. GetSecretValue is deliberately
// absent.
type Client interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	ListSecretVersionIds(ctx context.Context, in *secretsmanager.ListSecretVersionIdsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error)
	RotateSecret(ctx context.Context, in *secretsmanager.RotateSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.RotateSecretOutput, error)
	UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// NewClientFunc returns a Client for region. Run calls it once, after the
// arguments have been checked.
type NewClientFunc func(ctx context.Context, region string) (Client, error)

// NewAWSClient is the NewClientFunc of the real command: the SDK's default
// credential chain and configuration (AWS_PROFILE, environment, shared
// files, SSO, IMDS; AWS_ENDPOINT_URL too, which is how it reaches moto in
// tests) with the region the command resolved.
func NewAWSClient(ctx context.Context, region string) (Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration (AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE): %w", err)
	}
	return secretsmanager.NewFromConfig(cfg), nil
}

// Run runs the command line args (without the program name) and returns
// the exit code. Confirmation is read from stdin; results go to stdout,
// prompts and errors to stderr.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, newClient NewClientFunc) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, newClient: newClient, now: time.Now}
	return a.run(ctx, args)
}

// app is one invocation. now is a field so that tests can look at a
// rotation from the future: moto stamps every version with the time of the
// request, so a stuck rotation can only be aged by moving the clock.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	newClient      NewClientFunc
	now            func() time.Time
}

// usageError is bad input: exit 1, nothing was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// refusal is a command declining to act: exit 4, nothing was changed.
type refusal struct{ msg string }

func (e *refusal) Error() string { return e.msg }

func refusef(format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...)}
}

// errUnhealthy is status's verdict after it has printed the report; the
// report already says why.
var errUnhealthy = errors.New("unhealthy")

const usageText = `jwtsecretctl operates the rotating JWT signing secret {stage}-auris-jwt-secret.

Usage:
  jwtsecretctl status          (--stage STAGE | --secret-id ID) [--region REGION] [--json]
  jwtsecretctl rotate          (--stage STAGE | --secret-id ID) [--region REGION]
  jwtsecretctl revoke-previous (--stage STAGE | --secret-id ID) [--region REGION] [--yes]

Commands:
  status           rotation schedule, last and next rotation, every version with its
                   labels, and whether a rotation is stuck (AWSPENDING left behind)
  rotate           start a rotation now; tokens signed with the old value keep
                   verifying while it is AWSPREVIOUS
  revoke-previous  after a leak: remove AWSPREVIOUS so that every token signed
                   before the last rotation or regeneration stops verifying

Region: --region, else the region in an ARN given to --secret-id, else AWS_REGION,
else AWS_DEFAULT_REGION, else ` + DefaultRegion + `. Credentials: the AWS SDK default chain
(AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, instance role).

Exit codes:
  0  ok (status: healthy)
  1  usage error or invalid input
  2  AWS error: secret not found (wrong region?), access denied, no credentials
  3  status: unhealthy (rotation disabled, stuck AWSPENDING, deletion scheduled)
  4  refused, nothing changed (nothing to revoke, not confirmed, rotation
     disabled or already in progress)
`

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(a.stderr, usageText)
		return ExitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "status":
		err = a.status(ctx, rest)
	case "rotate":
		err = a.rotate(ctx, rest)
	case "revoke-previous":
		err = a.revokePrevious(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(a.stdout, usageText)
		return ExitOK
	default:
		err = usagef("unknown command %q: want status, rotate or revoke-previous (jwtsecretctl help)", cmd)
	}
	return a.exit(err)
}

// exit prints err for the operator and maps it to an exit code.
func (a *app) exit(err error) int {
	var (
		usage  *usageError
		ref    *refusal
		awsErr *awsError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errHelp):
		return ExitOK
	case errors.Is(err, errUnhealthy):
		return ExitUnhealthy
	case errors.As(err, &usage):
		fmt.Fprintf(a.stderr, "jwtsecretctl: %s\n", usage.msg)
		return ExitUsage
	case errors.As(err, &ref):
		fmt.Fprintf(a.stderr, "jwtsecretctl: refused: %s\n", ref.msg)
		return ExitRefused
	case errors.As(err, &awsErr):
		fmt.Fprintf(a.stderr, "jwtsecretctl: %s\n", awsErr.Error())
		return ExitAWS
	default:
		// Anything else also comes from talking to AWS (configuration,
		// network): exit 2 with the whole chain of context.
		fmt.Fprintf(a.stderr, "jwtsecretctl: %v\n", err)
		return ExitAWS
	}
}
