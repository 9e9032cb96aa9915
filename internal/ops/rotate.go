package ops

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// confirmWord is what the operator types to confirm a revocation: a word
// rather than "y", because the revocation logs users out.
const confirmWord = "revoke"

// rotate starts a rotation with the secret's own Lambda and schedule.
func (a *app) rotate(ctx context.Context, args []string) error {
	const synopsis = "rotate (--stage STAGE | --secret-id ID) [--region REGION]"
	fs, tf := newFlagSet("rotate")
	c, t, s, err := a.load(ctx, fs, tf, synopsis, args)
	if err != nil {
		return err
	}
	// Refuse what AWS would refuse or get wrong, before changing anything:
	// without a Lambda RotateSecret has nothing to run, and with an
	// AWSPENDING in place it fails (AWS) or piles a second rotation on the
	// first (moto).
	switch {
	case s.DeletionScheduled != "":
		return refusef("%s is scheduled for deletion (deleted %s); restore it first: aws secretsmanager restore-secret --region %s --secret-id %s",
			s.Secret, s.DeletionScheduled, s.Region, s.ARN)
	case !s.RotationEnabled || s.RotationLambdaARN == "":
		how := "configure rotation for it"
		if s.Stage != "" {
			how = fmt.Sprintf("deploy the stage with `pulumi up -s %s`, which configures it", s.Stage)
		}
		return refusef("rotation is not enabled for %s (region %s; no rotation Lambda configured): %s. Nothing was changed", s.Secret, s.Region, how)
	case s.Pending != nil && s.Pending.State == PendingInProgress:
		return refusef("a rotation of %s is already in progress: version %s has been AWSPENDING since %s. Watch it: jwtsecretctl status %s",
			s.Secret, s.Pending.VersionID, s.Pending.Created, s.targetArgs())
	case s.Pending != nil:
		where := ""
		if lg := s.logGroup(); lg != "" {
			where = " (see the log group " + lg + ")"
		}
		return refusef("a rotation of %s did not finish: version %s is still AWSPENDING (since %s). Find out why%s, fix it, then clear it and rotate again:\n  %s\n  jwtsecretctl rotate %s",
			s.Secret, s.Pending.VersionID, orUnknown(s.Pending.Created), where, s.clearPendingCommand(), s.targetArgs())
	}
	// Only the SecretId: AWS then rotates with the configured Lambda and
	// keeps the schedule. Passing rules here would change the schedule the
	// Pulumi program manages.
	out, err := c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String(s.ARN)})
	if err != nil {
		return explain(err, t, "RotateSecret")
	}
	token := aws.ToString(out.VersionId)
	fmt.Fprintf(a.stdout, "Started a rotation of %s (region %s): new version %s is AWSPENDING.\n", s.Secret, s.Region, token)
	fmt.Fprintf(a.stdout, "The rotation Lambda makes it AWSCURRENT within seconds; the current version %s then becomes AWSPREVIOUS, so tokens signed with it keep verifying.\n", s.current)
	if s.previous != "" {
		fmt.Fprintf(a.stdout, "Tokens signed with the older version %s (AWSPREVIOUS now) stop verifying once it loses the label.\n", s.previous)
	}
	fmt.Fprintf(a.stdout, "Watch it: jwtsecretctl status %s\n", s.targetArgs())
	return nil
}

// revokePrevious removes AWSPREVIOUS: the breach response after the current
// value has been replaced (rotation or `pulumi up --replace`).
func (a *app) revokePrevious(ctx context.Context, args []string) error {
	const synopsis = "revoke-previous (--stage STAGE | --secret-id ID) [--region REGION] [--yes]"
	fs, tf := newFlagSet("revoke-previous")
	yes := fs.Bool("yes", false, "do not ask for confirmation (for scripts)")
	c, t, s, err := a.load(ctx, fs, tf, synopsis, args)
	if err != nil {
		return err
	}
	if s.previous == "" {
		return refusef("nothing to revoke: no version of %s (region %s) carries AWSPREVIOUS (already revoked, or the value was never rotated or regenerated)", s.Secret, s.Region)
	}
	if !*yes {
		fmt.Fprintf(a.stderr, "%s (region %s): AWSCURRENT is version %s, AWSPREVIOUS is version %s.\n", s.Secret, s.Region, s.current, s.previous)
		fmt.Fprintf(a.stderr, "Remove AWSPREVIOUS from version %s? Every token signed with it stops verifying once app caches refresh (up to 5 minutes). Type %q to confirm: ", s.previous, confirmWord)
		answer, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the confirmation: %w", err)
		}
		if strings.TrimSpace(answer) != confirmWord {
			fmt.Fprintln(a.stderr)
			return refusef("not confirmed: AWSPREVIOUS stays on version %s (type %q, or pass --yes)", s.previous, confirmWord)
		}
	}
	_, err = c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:            aws.String(s.ARN),
		VersionStage:        aws.String(StagePrevious),
		RemoveFromVersionId: aws.String(s.previous),
	})
	if err != nil {
		return explain(err, t, "UpdateSecretVersionStage")
	}
	fmt.Fprintf(a.stdout, "Removed AWSPREVIOUS from version %s of %s (region %s).\n", s.previous, s.Secret, s.Region)
	fmt.Fprintf(a.stdout, "Tokens signed with it stop verifying once the app caches refresh (up to 5 minutes). AWSCURRENT (version %s) is unchanged.\n", s.current)
	if s.Pending != nil {
		fmt.Fprintf(a.stdout, "Note: version %s is AWSPENDING; when that rotation finishes, AWSPREVIOUS goes to version %s, not back to the revoked one.\n", s.Pending.VersionID, s.current)
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown time"
	}
	return s
}
