package ops

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/auris/jwtsecret/naming"
)

// errHelp ends a subcommand after its -h output: exit 0.
var errHelp = errors.New("help requested")

// regionPattern accepts every AWS region name (us-east-1, us-gov-west-1,
// ap-southeast-2, us-isob-east-1) and rejects typos such as "us-east" or
// "useast1" before they turn into a DNS failure for an endpoint that does
// not exist.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// target is the secret a command acts on and where.
type target struct {
	// secretID is what is sent to AWS: the stage's secret name, or the
	// --secret-id as given (name or ARN).
	secretID string
	// stage is empty when the secret was given by id.
	stage  string
	region string
	// regionFrom says where region came from, for the not-found message.
	regionFrom string
}

// targetFlags are the flags every subcommand takes.
type targetFlags struct {
	stage, secretID, region string
}

// newFlagSet returns a subcommand's flag set with the target flags. Errors
// are not printed by the flag package: parse turns them into usage errors.
func newFlagSet(name string) (*flag.FlagSet, *targetFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	tf := &targetFlags{}
	fs.StringVar(&tf.stage, "stage", "", "stage whose secret to use (STAGE-auris-jwt-secret)")
	fs.StringVar(&tf.secretID, "secret-id", "", "secret name or ARN, instead of --stage")
	fs.StringVar(&tf.region, "region", "", "AWS region (default: the ARN's, else AWS_REGION, else AWS_DEFAULT_REGION, else "+DefaultRegion+")")
	return fs, tf
}

// parse parses a subcommand's arguments; -h prints its flags to stdout.
func (a *app) parse(fs *flag.FlagSet, synopsis string, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(a.stdout, "Usage: jwtsecretctl %s\n\nFlags:\n", synopsis)
		fs.SetOutput(a.stdout)
		fs.PrintDefaults()
		return errHelp
	}
	if err != nil {
		return usagef("%s: %v (usage: jwtsecretctl %s)", fs.Name(), err, synopsis)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q (usage: jwtsecretctl %s)", fs.Name(), fs.Arg(0), synopsis)
	}
	return nil
}

// resolve checks the target flags and works out the secret id and region.
func (tf *targetFlags) resolve() (target, error) {
	switch {
	case tf.stage != "" && tf.secretID != "":
		return target{}, usagef("give --stage or --secret-id, not both")
	case tf.stage == "" && tf.secretID == "":
		return target{}, usagef("give --stage STAGE (the secret STAGE-auris-jwt-secret) or --secret-id NAME_OR_ARN")
	}
	var t target
	if tf.stage != "" {
		if err := naming.ValidateStage(tf.stage); err != nil {
			return target{}, usagef("%v", err)
		}
		t.stage, t.secretID = tf.stage, naming.SecretName(tf.stage)
	} else {
		t.secretID = tf.secretID
	}
	arnRegion, err := regionOfARN(t.secretID)
	if err != nil {
		return target{}, err
	}
	switch {
	case tf.region != "":
		// An ARN names the one region the secret lives in; a different
		// --region can only end in a confusing not-found.
		if arnRegion != "" && arnRegion != tf.region {
			return target{}, usagef("--secret-id is an ARN in region %s but --region is %s", arnRegion, tf.region)
		}
		t.region, t.regionFrom = tf.region, "given with --region"
	case arnRegion != "":
		t.region, t.regionFrom = arnRegion, "taken from the ARN"
	case os.Getenv("AWS_REGION") != "":
		t.region, t.regionFrom = os.Getenv("AWS_REGION"), "from AWS_REGION"
	case os.Getenv("AWS_DEFAULT_REGION") != "":
		t.region, t.regionFrom = os.Getenv("AWS_DEFAULT_REGION"), "from AWS_DEFAULT_REGION"
	default:
		t.region, t.regionFrom = DefaultRegion, "the default region"
	}
	if !regionPattern.MatchString(t.region) {
		return target{}, usagef("region %q (%s) is not an AWS region name such as %s", t.region, t.regionFrom, DefaultRegion)
	}
	return t, nil
}

// regionOfARN returns the region of a Secrets Manager secret ARN
// (arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME), "" for a
// plain name, and a usage error for an ARN of anything else.
func regionOfARN(id string) (string, error) {
	if !strings.HasPrefix(id, "arn:") {
		return "", nil
	}
	parts := strings.SplitN(id, ":", 7)
	if len(parts) != 7 || parts[2] != "secretsmanager" || parts[3] == "" || parts[5] != "secret" || parts[6] == "" {
		return "", usagef("--secret-id %q is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", id)
	}
	return parts[3], nil
}

// load is every subcommand's prologue: parse its arguments, resolve the
// secret and region, and read the secret's state.
func (a *app) load(ctx context.Context, fs *flag.FlagSet, tf *targetFlags, synopsis string, args []string) (Client, target, *secretState, error) {
	if err := a.parse(fs, synopsis, args); err != nil {
		return nil, target{}, nil, err
	}
	t, err := tf.resolve()
	if err != nil {
		return nil, target{}, nil, err
	}
	c, err := a.client(ctx, t)
	if err != nil {
		return nil, target{}, nil, err
	}
	s, err := a.inspect(ctx, c, t)
	if err != nil {
		return nil, target{}, nil, err
	}
	return c, t, s, nil
}

// client returns the client for t's region.
func (a *app) client(ctx context.Context, t target) (Client, error) {
	c, err := a.newClient(ctx, t.region)
	if err != nil {
		return nil, fmt.Errorf("creating the Secrets Manager client for region %s: %w", t.region, err)
	}
	return c, nil
}
