package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

	if v, ok := lookup(KeyProtect); ok {
		switch v {
		case "true":
			args.Protect = true
		case "false":
		default:
			bad(KeyProtect, v, "true or false", nil)
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

	if v, ok := lookup(KeyReaderRoles); ok && strings.TrimSpace(v) != "" {
		roles, err := parseReaderRoles(v)
		if err != nil {
			bad(KeyReaderRoles, v, rolesAllowed, err)
		} else if len(roles) > 0 {
			args.ReaderRoles = roles
		}
	}

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return args, nil
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
