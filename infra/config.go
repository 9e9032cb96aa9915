package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/auris/jwtsecret/naming"
	"github.com/auris/jwtsecret/rotation"
)

// Stack configuration keys, without the project namespace. Pulumi.yaml
// declares every one of them; a test keeps the two in step.
const (
	KeyStage                = "stage"
	KeyLength               = "length"
	KeyRotationDays         = "rotationDays"
	KeyRecoveryWindowInDays = "recoveryWindowInDays"
	KeyLogRetentionDays     = "logRetentionDays"
	KeyProtect              = "protect"
	KeyGeneration           = "generation"
	KeyTags                 = "tags"
	KeyReaderRoles          = "readerRoles"
	KeyAlarmEmail           = "alarmEmail"
	KeyKmsKeyArn            = "kmsKeyArn"
	KeyCreateKmsKey         = "createKmsKey"
	KeyRestrictReaders      = "restrictReaders"
	KeyReplicaRegions       = "replicaRegions"
	// awsRegionKey is the AWS provider's region, read (when set) only to
	// check kmsKeyArn and replicaRegions against it before anything is
	// registered; NewJwtSecret checks them again against the region the
	// provider reports.
	awsRegionKey = "aws:region"
)

// Defaults of the keys that have one. Pulumi.yaml repeats them (the CLI
// injects them) and a test checks both agree; the program applies them too
// so that it behaves the same when run without the CLI, as in tests.
const (
	DefaultRotationDays         = 180
	DefaultRecoveryWindowInDays = 30
	DefaultLogRetentionDays     = 90
	DefaultGeneration           = 1
)

// Limits AWS puts on the values the program passes through.
const (
	MinRotationDays = 1    // Secrets Manager AutomaticallyAfterDays
	MaxRotationDays = 1000 // Secrets Manager AutomaticallyAfterDays
	maxTags         = 50   // tags per resource, ours included
	maxTagKeyLen    = 128
	maxTagValueLen  = 256
)

// logRetentionValues are the only retention periods CloudWatch Logs accepts.
var logRetentionValues = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	// tagPattern is the character set AWS allows in tag keys and values
	// across the services this program tags.
	tagPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	// roleNamePattern is IAM's role name syntax.
	roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// regionPattern is the shape of an AWS region code (us-east-1,
	// us-gov-west-1, ap-southeast-2, eusc-de-east-1, ...). It checks the
	// spelling only: whether the region exists and is enabled for the
	// account is AWS's to say.
	regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)
	// kmsKeyArnPattern is a KMS key ARN: a key id (a UUID, or mrk-... for a
	// multi-Region key), not an alias. IAM policies grant use of a key by
	// its key ARN only, so an alias here could not be turned into the
	// readers' and the rotation role's KMS permissions.
	kmsKeyArnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):([0-9]{12}):key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
)

// ConfigGetter returns the raw stack configuration value of a fully
// qualified key ("project:key"); ok is false when the key is not set.
// (*pulumi.Context).GetConfig has this signature.
type ConfigGetter func(key string) (value string, ok bool)

// intSetting describes one integer key: how to check it, what to tell the
// user is allowed, and where it lives in JwtSecretArgs. Parsing stack config
// and validating hand-built args both use this table, so the two cannot
// drift apart.
type intSetting struct {
	key     string
	def     int
	allowed string
	ok      func(int) bool
	field   func(*JwtSecretArgs) *int
}

var intSettings = []intSetting{
	{
		key:     KeyLength,
		def:     rotation.DefaultLength,
		allowed: fmt.Sprintf("whole numbers %d to %d", rotation.MinLength, rotation.MaxLength),
		ok:      func(n int) bool { return rotation.ValidateLength(n) == nil },
		field:   func(a *JwtSecretArgs) *int { return &a.Length },
	},
	{
		key:     KeyRotationDays,
		def:     DefaultRotationDays,
		allowed: fmt.Sprintf("whole numbers %d to %d", MinRotationDays, MaxRotationDays),
		ok:      func(n int) bool { return n >= MinRotationDays && n <= MaxRotationDays },
		field:   func(a *JwtSecretArgs) *int { return &a.RotationDays },
	},
	{
		key:     KeyRecoveryWindowInDays,
		def:     DefaultRecoveryWindowInDays,
		allowed: "0 (delete without recovery) or whole numbers 7 to 30",
		ok:      func(n int) bool { return n == 0 || (n >= 7 && n <= 30) },
		field:   func(a *JwtSecretArgs) *int { return &a.RecoveryWindowInDays },
	},
	{
		key:     KeyLogRetentionDays,
		def:     DefaultLogRetentionDays,
		allowed: "one of " + joinInts(logRetentionValues),
		ok:      func(n int) bool { return slices.Contains(logRetentionValues, n) },
		field:   func(a *JwtSecretArgs) *int { return &a.LogRetentionDays },
	},
	{
		key:     KeyGeneration,
		def:     DefaultGeneration,
		allowed: "whole numbers from 1 up",
		ok:      func(n int) bool { return n >= 1 },
		field:   func(a *JwtSecretArgs) *int { return &a.Generation },
	},
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// ConfigError is a stack configuration value the program refuses. Its
// message names the key, the value, what is wrong with it when that is more
// specific than "not allowed", and what is allowed.
type ConfigError struct {
	// Key is fully qualified, e.g. "auris-jwtsecret:length".
	Key string
	// Value is the raw configured value.
	Value string
	// Problem says what is wrong when that is more specific than "not
	// allowed"; it may be empty.
	Problem string
	// Allowed describes the values the key accepts.
	Allowed string
}

func (e *ConfigError) Error() string {
	if e.Problem != "" {
		return fmt.Sprintf("invalid config %s = %q: %s; allowed are %s", e.Key, e.Value, e.Problem, e.Allowed)
	}
	return fmt.Sprintf("invalid config %s = %q: allowed are %s", e.Key, e.Value, e.Allowed)
}

// ParseArgs reads and validates the stack configuration of project/stack
// through get. It reports every invalid key at once (errors.Join of
// *ConfigError), so that one `pulumi up` shows all mistakes, and it runs
// before any resource is registered.
func ParseArgs(project, stack string, get ConfigGetter) (*JwtSecretArgs, error) {
	qualify := func(key string) string { return project + ":" + key }
	lookup := func(key string) (string, bool) { return get(qualify(key)) }
	var errs []error
	bad := func(key, value, allowed string, problem error) {
		e := &ConfigError{Key: qualify(key), Value: value, Allowed: allowed}
		if problem != nil {
			e.Problem = problem.Error()
		}
		errs = append(errs, e)
	}

	args := &JwtSecretArgs{Stage: stack}
	if v, ok := lookup(KeyStage); ok {
		args.Stage = v
	}
	if naming.ValidateStage(args.Stage) != nil {
		bad(KeyStage, args.Stage, stageAllowed(), nil)
	}

	for _, s := range intSettings {
		p := s.field(args)
		*p = s.def
		v, ok := lookup(s.key)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || !s.ok(n) {
			bad(s.key, v, s.allowed, nil)
			continue
		}
		*p = n
	}

	for _, b := range []struct {
		key   string
		field *bool
	}{
		{KeyProtect, &args.Protect},
		{KeyCreateKmsKey, &args.CreateKmsKey},
		{KeyRestrictReaders, &args.RestrictReaders},
	} {
		if v, ok := lookup(b.key); ok {
			switch v {
			case "true":
				*b.field = true
			case "false":
			default:
				bad(b.key, v, "true or false", nil)
			}
		}
	}

	if v, ok := lookup(KeyTags); ok && strings.TrimSpace(v) != "" {
		tags, err := parseTags(v)
		if err != nil {
			bad(KeyTags, v, tagsAllowed(), err)
		} else if len(tags) > 0 {
			args.Tags = tags
		}
	}

	rolesValid := true
	if v, ok := lookup(KeyReaderRoles); ok && strings.TrimSpace(v) != "" {
		roles, err := parseReaderRoles(v)
		if err != nil {
			rolesValid = false
			bad(KeyReaderRoles, v, rolesAllowed, err)
		} else if len(roles) > 0 {
			args.ReaderRoles = roles
		}
	}

	if v, ok := lookup(KeyAlarmEmail); ok && strings.TrimSpace(v) != "" {
		if err := checkAlarmEmail(v); err != nil {
			bad(KeyAlarmEmail, v, emailAllowed, err)
		} else {
			args.AlarmEmail = v
		}
	}

	// The region checks need the primary region; without aws:region in the
	// stack configuration (a region from the environment) they run in
	// NewJwtSecret instead, against the region the provider reports.
	primary, _ := get(awsRegionKey)

	if v, ok := lookup(KeyKmsKeyArn); ok && strings.TrimSpace(v) != "" {
		if err := checkKmsKeyArn(v, primary); err != nil {
			bad(KeyKmsKeyArn, v, kmsKeyArnAllowed, err)
		} else {
			args.KmsKeyArn = v
		}
	}

	if v, ok := lookup(KeyReplicaRegions); ok && strings.TrimSpace(v) != "" {
		regions, err := parseReplicaRegions(v, primary)
		if err != nil {
			bad(KeyReplicaRegions, v, replicaRegionsAllowed, err)
		} else if len(regions) > 0 {
			args.ReplicaRegions = regions
		}
	}

	// Rules between keys, reported on the key that turns the feature on.
	if args.CreateKmsKey && args.KmsKeyArn != "" {
		v, _ := lookup(KeyCreateKmsKey)
		bad(KeyCreateKmsKey, v, createKmsKeyAllowed, errCreateAndArn)
	}
	if args.CreateKmsKey && args.Tags != nil {
		if err := checkKeyTags(args.Tags); err != nil {
			v, _ := lookup(KeyTags)
			bad(KeyTags, v, tagsAllowed(), err)
		}
	}
	// An invalid readerRoles is already reported; only a valid, empty list
	// is restrictReaders' problem.
	if args.RestrictReaders && len(args.ReaderRoles) == 0 && rolesValid {
		v, _ := lookup(KeyRestrictReaders)
		bad(KeyRestrictReaders, v, restrictReadersAllowed, errRestrictWithoutReaders)
	}

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return args, nil
}

const emailAllowed = "one email address, such as ops@example.com (without a display name)"

// checkAlarmEmail accepts a bare address: SNS sends the confirmation
// request to exactly this string, so "Ops <ops@example.com>" or a list
// would fail at subscribe time, after other resources were created.
func checkAlarmEmail(v string) error {
	addr, err := mail.ParseAddress(v)
	switch {
	case err != nil:
		return errors.New("not an email address")
	case addr.Name != "" || addr.Address != v:
		return errors.New("not a bare email address")
	case len(v) > 254 || !strings.Contains(addr.Address[strings.LastIndex(addr.Address, "@"):], "."):
		return errors.New("not a deliverable email address")
	}
	return nil
}

const kmsKeyArnAllowed = "the key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID) of a symmetric customer managed key " +
	"in the stack's region; not an alias or a bare key id"

// checkKmsKeyArn checks the ARN's shape and, when the primary region is
// known, that the key is in it: Secrets Manager only encrypts a secret with
// a key of its own region.
func checkKmsKeyArn(v, primary string) error {
	m := kmsKeyArnPattern.FindStringSubmatch(v)
	if m == nil {
		return errors.New("not a KMS key ARN")
	}
	if primary != "" && m[1] != primary {
		return fmt.Errorf("the key is in %s, the secret in %s", m[1], primary)
	}
	return nil
}

const replicaRegionsAllowed = "a list of distinct region codes (such as eu-west-1) other than the stack's own region"

func parseReplicaRegions(raw, primary string) ([]string, error) {
	var regions []string
	if err := json.Unmarshal([]byte(raw), &regions); err != nil {
		return nil, errors.New("not a list of strings")
	}
	if err := checkReplicaRegions(regions, primary); err != nil {
		return nil, err
	}
	return regions, nil
}

// checkReplicaRegions checks the spelling and uniqueness of the regions
// and, when the primary region is known, that none is the primary: a secret
// cannot be replicated into its own region.
func checkReplicaRegions(regions []string, primary string) error {
	seen := map[string]bool{}
	for _, r := range regions {
		switch {
		case !regionPattern.MatchString(r):
			return fmt.Errorf("%q is not a region code", r)
		case seen[r]:
			return fmt.Errorf("region %s is listed twice", r)
		case primary != "" && r == primary:
			return fmt.Errorf("region %s is the stack's own region, where the primary secret is", r)
		}
		seen[r] = true
	}
	return nil
}

var (
	errCreateAndArn = errors.New("kmsKeyArn is also set; choose one key")
	// Without reader roles only the rotation role and the deploying
	// identity could read the value: every application would be locked out.
	errRestrictWithoutReaders = errors.New("readerRoles is empty, so no application could read the value")
)

const (
	createKmsKeyAllowed    = "true or false; true only when kmsKeyArn is not set"
	restrictReadersAllowed = "true or false; true only together with a non-empty readerRoles"
)

// checkKeyTags keeps the Project tag of a created KMS key the program's:
// the deployer policy confines key management to keys tagged with the
// project's name (there is no key name to match on), so a stack that
// overrides it could not manage its own key.
func checkKeyTags(tags map[string]string) error {
	if _, ok := tags["Project"]; ok {
		return fmt.Errorf("tag Project cannot be overridden while %s is true: the deployer policy manages only KMS keys tagged with the project's name", KeyCreateKmsKey)
	}
	return nil
}

func stageAllowed() string {
	return fmt.Sprintf("1 to %d lowercase letters, digits and hyphens, starting and ending with a letter or digit (default: the stack name)", naming.MaxStageLength)
}

func tagsAllowed() string {
	return fmt.Sprintf("an object of string values with at most %d entries besides Project/Stage/ManagedBy, "+
		"keys of 1 to %d and values of 0 to %d letters, digits, spaces and _.:/=+-@, keys not starting with \"aws:\"",
		maxTags-len(baseTagKeys), maxTagKeyLen, maxTagValueLen)
}

func parseTags(raw string) (map[string]string, error) {
	var tags map[string]string
	if err := json.Unmarshal([]byte(raw), &tags); err != nil {
		return nil, errors.New("not an object of string values")
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	return tags, nil
}

// checkTags reports the first tag AWS would reject, or too many tags once
// the program's own are merged in.
func checkTags(tags map[string]string) error {
	merged := mergeTags("p", "s", tags)
	if len(merged) > maxTags {
		return fmt.Errorf("%d tags, more than the %d AWS allows per resource", len(merged), maxTags)
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		v := tags[k]
		switch {
		case k == "" || utf8.RuneCountInString(k) > maxTagKeyLen || !tagPattern.MatchString(k):
			return fmt.Errorf("tag key %q is not allowed", k)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return fmt.Errorf("tag key %q uses the reserved aws: prefix", k)
		case utf8.RuneCountInString(v) > maxTagValueLen || !tagPattern.MatchString(v):
			return fmt.Errorf("the value of tag %q is not allowed", k)
		}
	}
	return nil
}

const rolesAllowed = "a list of distinct IAM role names (1 to 64 letters, digits and +=,.@_-)"

func parseReaderRoles(raw string) ([]string, error) {
	var roles []string
	if err := json.Unmarshal([]byte(raw), &roles); err != nil {
		return nil, errors.New("not a list of strings")
	}
	if err := checkReaderRoles(roles); err != nil {
		return nil, err
	}
	return roles, nil
}

func checkReaderRoles(roles []string) error {
	seen := map[string]bool{}
	for _, r := range roles {
		if !roleNamePattern.MatchString(r) {
			return fmt.Errorf("reader role %q is not an IAM role name", r)
		}
		// IAM role names are case-insensitive: two spellings are one role,
		// and two attachments of it would fight over one resource.
		if seen[strings.ToLower(r)] {
			return fmt.Errorf("reader role %q is listed twice", r)
		}
		seen[strings.ToLower(r)] = true
	}
	return nil
}

// Validate checks args built in code (ParseArgs's result always passes) with
// the same rules as the stack configuration, naming the configuration key of
// each invalid field.
func (a *JwtSecretArgs) Validate() error {
	var errs []error
	if err := naming.ValidateStage(a.Stage); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", KeyStage, err))
	}
	for _, s := range intSettings {
		if n := *s.field(a); !s.ok(n) {
			errs = append(errs, fmt.Errorf("%s: %d is out of range: allowed are %s", s.key, n, s.allowed))
		}
	}
	if err := checkTags(a.Tags); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", KeyTags, err))
	}
	if err := checkReaderRoles(a.ReaderRoles); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", KeyReaderRoles, err))
	}
	if a.AlarmEmail != "" {
		if err := checkAlarmEmail(a.AlarmEmail); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q: %w", KeyAlarmEmail, a.AlarmEmail, err))
		}
	}
	if a.KmsKeyArn != "" {
		if err := checkKmsKeyArn(a.KmsKeyArn, ""); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q: %w", KeyKmsKeyArn, a.KmsKeyArn, err))
		}
	}
	if err := checkReplicaRegions(a.ReplicaRegions, ""); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", KeyReplicaRegions, err))
	}
	if a.CreateKmsKey && a.KmsKeyArn != "" {
		errs = append(errs, fmt.Errorf("%s: %w", KeyCreateKmsKey, errCreateAndArn))
	}
	if a.CreateKmsKey {
		if err := checkKeyTags(a.Tags); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", KeyTags, err))
		}
	}
	if a.RestrictReaders && len(a.ReaderRoles) == 0 {
		errs = append(errs, fmt.Errorf("%s: %w", KeyRestrictReaders, errRestrictWithoutReaders))
	}
	return errors.Join(errs...)
}

// checkRegions checks what depends on the primary region (the key's region,
// replicas other than the primary) once the region is known for certain.
func (a *JwtSecretArgs) checkRegions(primary string) error {
	var errs []error
	if a.KmsKeyArn != "" {
		if err := checkKmsKeyArn(a.KmsKeyArn, primary); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q: %w", KeyKmsKeyArn, a.KmsKeyArn, err))
		}
	}
	if err := checkReplicaRegions(a.ReplicaRegions, primary); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", KeyReplicaRegions, err))
	}
	return errors.Join(errs...)
}

// baseTagKeys are the tags every taggable resource gets; stack `tags` are
// merged on top, so a stack may override them.
var baseTagKeys = []string{"Project", "Stage", "ManagedBy"}

// mergeTags returns the tags of every taggable resource.
func mergeTags(project, stage string, extra map[string]string) map[string]string {
	tags := map[string]string{"Project": project, "Stage": stage, "ManagedBy": "pulumi"}
	maps.Copy(tags, extra)
	return tags
}
