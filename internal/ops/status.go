package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Staging labels Secrets Manager gives the versions of a secret.
const (
	StageCurrent  = "AWSCURRENT"
	StagePending  = "AWSPENDING"
	StagePrevious = "AWSPREVIOUS"
)

// States of Pending.State.
const (
	// PendingInProgress: AWSPENDING exists for less than PendingGrace.
	PendingInProgress = "in-progress"
	// PendingStuck: AWSPENDING has existed for PendingGrace or longer (or
	// its age is unknown): the rotation did not finish, and every later
	// RotateSecret fails until the label is removed.
	PendingStuck = "stuck"
)

// Status is what `status --json` prints. Its fields are a stable interface
// for scripts: fields may be added, none renamed or removed. Times are
// RFC 3339 in UTC; a time AWS does not report is omitted.
type Status struct {
	// Secret is the secret's name; ARN its full ARN; Region where it was
	// looked up.
	Secret string `json:"secret"`
	ARN    string `json:"arn"`
	Region string `json:"region"`
	// Stage is the --stage given, omitted for --secret-id.
	Stage string `json:"stage,omitempty"`
	// RotationEnabled and RotationLambdaARN are the rotation configuration.
	RotationEnabled   bool   `json:"rotationEnabled"`
	RotationLambdaARN string `json:"rotationLambdaArn,omitempty"`
	// Schedule is the rotation schedule; empty when rotation was never
	// configured.
	Schedule Schedule `json:"schedule"`
	// LastRotated is when a rotation last started; NextRotation when the
	// next one is due; LastChanged the last change of value or settings.
	LastRotated  string `json:"lastRotated,omitempty"`
	NextRotation string `json:"nextRotation,omitempty"`
	LastChanged  string `json:"lastChanged,omitempty"`
	// DeletionScheduled is set when the secret is scheduled for deletion
	// (DeleteSecret with a recovery window): the date it was deleted on.
	DeletionScheduled string `json:"deletionScheduled,omitempty"`
	// Versions are the versions that carry a staging label, AWSCURRENT
	// first, then AWSPENDING, then AWSPREVIOUS. Versions without labels
	// (deprecated) are left out.
	Versions []Version `json:"versions"`
	// Pending is the unfinished rotation, null when there is none.
	// AWSPENDING on the AWSCURRENT version is a finished rotation and is
	// not reported.
	Pending *Pending `json:"pending"`
	// Healthy is false when Problems is not empty; status then exits 3.
	Healthy  bool     `json:"healthy"`
	Problems []string `json:"problems"`
}

// Schedule is a secret's rotation rules.
type Schedule struct {
	// AutomaticallyAfterDays is set for a rotation every N days (the
	// Pulumi program's rotationDays).
	AutomaticallyAfterDays int64 `json:"automaticallyAfterDays,omitempty"`
	// ScheduleExpression is a rate() or cron() schedule, if used instead.
	ScheduleExpression string `json:"scheduleExpression,omitempty"`
	// Duration is the rotation window, e.g. "3h", if one is set.
	Duration string `json:"duration,omitempty"`
}

// Version is one labelled version of the secret (never its value).
type Version struct {
	VersionID string   `json:"versionId"`
	Stages    []string `json:"stages"`
	// Created is when the version was created, omitted if unknown.
	Created string `json:"created,omitempty"`
}

// Pending is a rotation that has not finished.
type Pending struct {
	VersionID string `json:"versionId"`
	Created   string `json:"created,omitempty"`
	// State is PendingInProgress or PendingStuck.
	State string `json:"state"`
}

// secretState is everything the commands learn about a secret, Status plus
// what the refusals need.
type secretState struct {
	Status
	current, previous string // version ids, "" when the label is absent
}

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// inspect describes the secret and lists its versions: two read-only calls
// that never return a value.
func (a *app) inspect(ctx context.Context, c Client, t target) (*secretState, error) {
	d, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(t.secretID)})
	if err != nil {
		return nil, explain(err, t, "DescribeSecret")
	}
	created, err := versionTimes(ctx, c, t)
	if err != nil {
		return nil, err
	}
	s := &secretState{Status: Status{
		Secret:            aws.ToString(d.Name),
		ARN:               aws.ToString(d.ARN),
		Region:            t.region,
		Stage:             t.stage,
		RotationEnabled:   aws.ToBool(d.RotationEnabled),
		RotationLambdaARN: aws.ToString(d.RotationLambdaARN),
		LastRotated:       formatTime(d.LastRotatedDate),
		NextRotation:      formatTime(d.NextRotationDate),
		LastChanged:       formatTime(d.LastChangedDate),
		DeletionScheduled: formatTime(d.DeletedDate),
		Versions:          []Version{},
		Problems:          []string{},
	}}
	if r := d.RotationRules; r != nil {
		s.Schedule = Schedule{
			AutomaticallyAfterDays: aws.ToInt64(r.AutomaticallyAfterDays),
			ScheduleExpression:     aws.ToString(r.ScheduleExpression),
			Duration:               aws.ToString(r.Duration),
		}
	}
	// Labels come from DescribeSecret, the same call AWS's own rotation
	// checks use; ListSecretVersionIds only adds the creation times.
	var pendingID string
	for id, stages := range d.VersionIdsToStages {
		if len(stages) == 0 {
			continue // deprecated: no label, and AWS may delete it
		}
		stages = slices.Clone(stages)
		slices.SortFunc(stages, compareStages)
		v := Version{VersionID: id, Stages: stages}
		if at, ok := created[id]; ok {
			v.Created = formatTime(&at)
		}
		s.Versions = append(s.Versions, v)
		if slices.Contains(stages, StageCurrent) {
			s.current = id
		}
		if slices.Contains(stages, StagePrevious) {
			s.previous = id
		}
		if slices.Contains(stages, StagePending) {
			pendingID = id
		}
	}
	slices.SortFunc(s.Versions, func(x, y Version) int {
		if c := compareStages(x.Stages[0], y.Stages[0]); c != 0 {
			return c
		}
		return strings.Compare(x.VersionID, y.VersionID)
	})
	if pendingID != "" && pendingID != s.current {
		p := &Pending{VersionID: pendingID, State: PendingStuck}
		if at, ok := created[pendingID]; ok {
			p.Created = formatTime(&at)
			if a.now().Sub(at) < PendingGrace {
				p.State = PendingInProgress
			}
		}
		s.Pending = p
	}
	s.Problems = s.problems()
	s.Healthy = len(s.Problems) == 0
	return s, nil
}

// versionTimes lists the versions' creation times by version id. Only the
// ids and dates of the answer are used: moto fills its ARN field wrongly.
func versionTimes(ctx context.Context, c Client, t target) (map[string]time.Time, error) {
	created := map[string]time.Time{}
	in := &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(t.secretID)}
	for {
		out, err := c.ListSecretVersionIds(ctx, in)
		if err != nil {
			return nil, explain(err, t, "ListSecretVersionIds")
		}
		for _, v := range out.Versions {
			if v.CreatedDate != nil {
				created[aws.ToString(v.VersionId)] = *v.CreatedDate
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return created, nil
		}
		in.NextToken = out.NextToken
	}
}

// compareStages orders labels AWSCURRENT, AWSPENDING, AWSPREVIOUS, then
// custom labels alphabetically.
func compareStages(x, y string) int {
	rank := func(s string) int {
		switch s {
		case StageCurrent:
			return 0
		case StagePending:
			return 1
		case StagePrevious:
			return 2
		}
		return 3
	}
	if c := rank(x) - rank(y); c != 0 {
		return c
	}
	return strings.Compare(x, y)
}

// problems lists what makes the secret unhealthy.
func (s *secretState) problems() []string {
	p := []string{}
	if s.DeletionScheduled != "" {
		p = append(p, fmt.Sprintf("the secret is scheduled for deletion (deleted %s): restore it with `aws secretsmanager restore-secret --secret-id %s --region %s`", s.DeletionScheduled, s.ARN, s.Region))
	}
	if !s.RotationEnabled {
		p = append(p, "rotation is not enabled")
	} else if s.RotationLambdaARN == "" {
		p = append(p, "rotation is enabled but no rotation Lambda is configured")
	}
	if s.current == "" {
		p = append(p, "no version carries AWSCURRENT")
	}
	if s.Pending != nil && s.Pending.State == PendingStuck {
		since := s.Pending.Created
		if since == "" {
			since = "an unknown time"
		}
		p = append(p, fmt.Sprintf("a rotation did not finish: version %s has been AWSPENDING since %s", s.Pending.VersionID, since))
	}
	return p
}

// logGroup is where the rotation function logs: /aws/lambda/ plus the
// function name at the end of its ARN.
func (s *secretState) logGroup() string {
	arn := s.RotationLambdaARN
	if arn == "" {
		return ""
	}
	parts := strings.Split(arn, ":")
	name := parts[len(parts)-1]
	if len(parts) >= 7 && parts[5] == "function" {
		name = parts[6]
	}
	return "/aws/lambda/" + name
}

// clearPendingCommand is the AWS CLI command that removes a stuck
// AWSPENDING label.
func (s *secretState) clearPendingCommand() string {
	return fmt.Sprintf("aws secretsmanager update-secret-version-stage --region %s --secret-id %s --version-stage %s --remove-from-version-id %s",
		s.Region, s.ARN, StagePending, s.Pending.VersionID)
}

func (a *app) status(ctx context.Context, args []string) error {
	const synopsis = "status (--stage STAGE | --secret-id ID) [--region REGION] [--json]"
	fs, tf := newFlagSet("status")
	asJSON := fs.Bool("json", false, "print the status as JSON (see the Status type) instead of text")
	_, _, s, err := a.load(ctx, fs, tf, synopsis, args)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s.Status); err != nil {
			return fmt.Errorf("writing the status: %w", err)
		}
	} else if err := s.writeText(a.stdout); err != nil {
		return fmt.Errorf("writing the status: %w", err)
	}
	if !s.Healthy {
		return errUnhealthy
	}
	return nil
}

// writeText prints the human-readable report.
func (s *secretState) writeText(w io.Writer) error {
	or := func(v, alt string) string {
		if v == "" {
			return alt
		}
		return v
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "secret:\t%s\n", s.Secret)
	fmt.Fprintf(tw, "arn:\t%s\n", s.ARN)
	fmt.Fprintf(tw, "region:\t%s\n", s.Region)
	fmt.Fprintf(tw, "rotation:\t%s\n", s.rotationText())
	fmt.Fprintf(tw, "rotation lambda:\t%s\n", or(s.RotationLambdaARN, "none"))
	fmt.Fprintf(tw, "last rotated:\t%s\n", or(s.LastRotated, "never"))
	fmt.Fprintf(tw, "next rotation:\t%s\n", or(s.NextRotation, "none scheduled"))
	if s.DeletionScheduled != "" {
		fmt.Fprintf(tw, "deleted:\t%s (scheduled for deletion)\n", s.DeletionScheduled)
	}
	fmt.Fprintf(tw, "pending:\t%s\n", s.pendingText())
	if s.Healthy {
		fmt.Fprintf(tw, "health:\tOK\n")
	} else {
		fmt.Fprintf(tw, "health:\tUNHEALTHY\n")
		for _, p := range s.Problems {
			fmt.Fprintf(tw, "\t- %s\n", p)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "VERSION\tSTAGES\tCREATED\n")
	for _, v := range s.Versions {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.VersionID, strings.Join(v.Stages, ","), or(v.Created, "unknown"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if s.Pending != nil && s.Pending.State == PendingStuck {
		fmt.Fprintf(w, "\nThe rotation of version %s did not finish", s.Pending.VersionID)
		if lg := s.logGroup(); lg != "" {
			fmt.Fprintf(w, "; find out why in the log group %s", lg)
		}
		fmt.Fprintf(w, ".\nAfter fixing the cause, clear it and rotate again:\n  %s\n  jwtsecretctl rotate %s\n", s.clearPendingCommand(), s.targetArgs())
	}
	return nil
}

func (s *secretState) rotationText() string {
	if !s.RotationEnabled {
		return "DISABLED"
	}
	var sched string
	switch {
	case s.Schedule.AutomaticallyAfterDays > 0:
		sched = fmt.Sprintf("every %d days", s.Schedule.AutomaticallyAfterDays)
	case s.Schedule.ScheduleExpression != "":
		sched = s.Schedule.ScheduleExpression
	default:
		sched = "no schedule"
	}
	if s.Schedule.Duration != "" {
		sched += ", window " + s.Schedule.Duration
	}
	return "enabled, " + sched
}

func (s *secretState) pendingText() string {
	p := s.Pending
	switch {
	case p == nil:
		return "none"
	case p.State == PendingInProgress:
		return fmt.Sprintf("rotation in progress: version %s, started %s", p.VersionID, p.Created)
	case p.Created == "":
		return fmt.Sprintf("STUCK: version %s is AWSPENDING (creation time unknown)", p.VersionID)
	default:
		return fmt.Sprintf("STUCK: version %s has been AWSPENDING since %s", p.VersionID, p.Created)
	}
}

// targetArgs are the flags that name this secret again in a suggested
// command.
func (s *secretState) targetArgs() string {
	if s.Stage != "" {
		return fmt.Sprintf("--stage %s --region %s", s.Stage, s.Region)
	}
	return fmt.Sprintf("--secret-id %s", s.ARN)
}
