package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/auris/jwtsecret/naming"
	"github.com/auris/jwtsecret/rotation"
)

const testProject = "auris-jwtsecret"

func getter(cfg map[string]string) ConfigGetter {
	return func(key string) (string, bool) {
		v, ok := cfg[key]
		return v, ok
	}
}

func TestParseArgsDefaults(t *testing.T) {
	args, err := ParseArgs(testProject, "dev", getter(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &JwtSecretArgs{
		Stage:                "dev",
		Length:               rotation.DefaultLength,
		RotationDays:         180,
		RecoveryWindowInDays: 30,
		LogRetentionDays:     90,
		Generation:           1,
	}
	if !reflect.DeepEqual(args, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", args, want)
	}
}

func TestParseArgsReadsEveryKey(t *testing.T) {
	args, err := ParseArgs(testProject, "some-stack", getter(map[string]string{
		"auris-jwtsecret:stage":                "qa-2",
		"auris-jwtsecret:length":               "128",
		"auris-jwtsecret:rotationDays":         "30",
		"auris-jwtsecret:recoveryWindowInDays": "0",
		"auris-jwtsecret:logRetentionDays":     "365",
		"auris-jwtsecret:protect":              "true",
		"auris-jwtsecret:generation":           "7",
		"auris-jwtsecret:tags":                 `{"Team":"identity","Stage":"qa"}`,
		"auris-jwtsecret:readerRoles":          `["api-role","worker@role"]`,
		"auris-jwtsecret:alarmEmail":           "ops@example.com",
		"auris-jwtsecret:kmsKeyArn":            testKeyArn,
		"auris-jwtsecret:restrictReaders":      "true",
		"auris-jwtsecret:replicaRegions":       `["eu-west-1","us-west-2"]`,
		"aws:region":                           "us-east-1",
		"other-project:length":                 "16", // another namespace is not ours
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := &JwtSecretArgs{
		Stage:                "qa-2",
		Length:               128,
		RotationDays:         30,
		RecoveryWindowInDays: 0,
		LogRetentionDays:     365,
		Protect:              true,
		Generation:           7,
		Tags:                 map[string]string{"Team": "identity", "Stage": "qa"},
		ReaderRoles:          []string{"api-role", "worker@role"},
		AlarmEmail:           "ops@example.com",
		KmsKeyArn:            testKeyArn,
		RestrictReaders:      true,
		ReplicaRegions:       []string{"eu-west-1", "us-west-2"},
	}
	if !reflect.DeepEqual(args, want) {
		t.Fatalf("got %+v\nwant %+v", args, want)
	}

	// createKmsKey, which excludes kmsKeyArn.
	args, err = ParseArgs(testProject, "dev", getter(map[string]string{"auris-jwtsecret:createKmsKey": "true"}))
	if err != nil || !args.CreateKmsKey {
		t.Fatalf("createKmsKey: %+v, %v", args, err)
	}
}

const (
	testKeyArn     = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	testMrkKeyArn  = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
	otherRegionKey = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

func TestParseArgsAcceptsKeyAndRegionForms(t *testing.T) {
	for key, values := range map[string][]string{
		KeyKmsKeyArn:      {testKeyArn, testMrkKeyArn, "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		KeyAlarmEmail:     {"ops@example.com", "jwt-alerts+prod@auris.example.co.uk"},
		KeyReplicaRegions: {`[]`, `["eu-west-1"]`, `["us-gov-west-1"]`, `["ap-southeast-2","eu-central-2","il-central-1"]`},
	} {
		for _, v := range values {
			if _, err := ParseArgs(testProject, "dev", getter(map[string]string{"aws:region": "us-east-1", "auris-jwtsecret:" + key: v})); err != nil {
				t.Errorf("%s = %s rejected: %v", key, v, err)
			}
		}
	}
}

func TestParseArgsRejects(t *testing.T) {
	cases := []struct {
		name, stack, key, value string
		allowed                 string            // must appear in the message: what is allowed, or the problem
		also                    map[string]string // other configuration the case needs
	}{
		{"length too short", "dev", "length", "16", "32 to 4096", nil},
		{"length too long", "dev", "length", "4097", "32 to 4096", nil},
		{"length not a number", "dev", "length", "abc", "32 to 4096", nil},
		{"length fraction", "dev", "length", "64.5", "32 to 4096", nil},
		{"rotationDays zero", "dev", "rotationDays", "0", "1 to 1000", nil},
		{"rotationDays too many", "dev", "rotationDays", "2000", "1 to 1000", nil},
		{"rotationDays negative", "dev", "rotationDays", "-5", "1 to 1000", nil},
		{"recovery window 3", "dev", "recoveryWindowInDays", "3", "0 (delete without recovery) or whole numbers 7 to 30", nil},
		{"recovery window 31", "dev", "recoveryWindowInDays", "31", "7 to 30", nil},
		{"log retention not offered by AWS", "dev", "logRetentionDays", "100", "one of 1, 3, 5", nil},
		{"generation zero", "dev", "generation", "0", "from 1 up", nil},
		{"protect not a boolean", "dev", "protect", "yes", "true or false", nil},
		{"stage with capitals and punctuation", "dev", "stage", "Prod!", "lowercase letters", nil},
		{"stage too long", "dev", "stage", strings.Repeat("a", 33), "1 to 32", nil},
		{"stage from an invalid stack name", "Prod", "", "", "lowercase letters", nil},
		{"tags not an object", "dev", "tags", `["a"]`, "object of string values", nil},
		{"tags with a non-string value", "dev", "tags", `{"a":1}`, "object of string values", nil},
		{"tags with reserved prefix", "dev", "tags", `{"aws:x":"y"}`, "not starting with \"aws:\"", nil},
		{"tags with a bad character", "dev", "tags", `{"a":"b;c"}`, "letters, digits", nil},
		{"reader roles not a list", "dev", "readerRoles", `"api-role"`, "IAM role names", nil},
		{"reader role with a slash", "dev", "readerRoles", `["path/role"]`, "IAM role names", nil},
		{"reader role twice", "dev", "readerRoles", `["Api","api"]`, "distinct", nil},
		{"alarm email without a domain", "dev", "alarmEmail", "ops", "one email address", nil},
		{"alarm email with a display name", "dev", "alarmEmail", "Ops <ops@example.com>", "without a display name", nil},
		{"alarm email list", "dev", "alarmEmail", "a@example.com,b@example.com", "one email address", nil},
		{"alarm email without a dot in the domain", "dev", "alarmEmail", "ops@localhost", "one email address", nil},
		{"kmsKeyArn an alias", "dev", "kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:alias/jwt", "not an alias", nil},
		{"kmsKeyArn a bare key id", "dev", "kmsKeyArn", "1234abcd-12ab-34cd-56ef-1234567890ab", "key ARN", nil},
		{"kmsKeyArn of another service", "dev", "kmsKeyArn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf", "key ARN", nil},
		{"kmsKeyArn in another region", "dev", "kmsKeyArn", otherRegionKey, "the key is in eu-west-1, the secret in us-east-1", map[string]string{"aws:region": "us-east-1"}},
		{"createKmsKey and kmsKeyArn", "dev", "createKmsKey", "true", "kmsKeyArn is also set; choose one key", map[string]string{"auris-jwtsecret:kmsKeyArn": testKeyArn}},
		{"createKmsKey not a boolean", "dev", "createKmsKey", "yes", "true or false", nil},
		{"createKmsKey with the Project tag overridden", "dev", "tags", `{"Project":"other"}`, "tag Project cannot be overridden while createKmsKey is true", map[string]string{"auris-jwtsecret:createKmsKey": "true"}},
		{"restrictReaders without readerRoles", "dev", "restrictReaders", "true", "readerRoles is empty, so no application could read the value", nil},
		{"restrictReaders with empty readerRoles", "dev", "restrictReaders", "true", "non-empty readerRoles", map[string]string{"auris-jwtsecret:readerRoles": "[]"}},
		{"restrictReaders not a boolean", "dev", "restrictReaders", "1", "true or false", nil},
		{"replicaRegions the primary region", "dev", "replicaRegions", `["eu-west-1","us-east-1"]`, "region us-east-1 is the stack's own region", map[string]string{"aws:region": "us-east-1"}},
		{"replicaRegions an invalid region", "dev", "replicaRegions", `["eu-west-1","Frankfurt"]`, `"Frankfurt" is not a region code`, nil},
		{"replicaRegions a region with a typo", "dev", "replicaRegions", `["euwest1"]`, "distinct region codes", nil},
		{"replicaRegions twice the same", "dev", "replicaRegions", `["eu-west-1","eu-west-1"]`, "region eu-west-1 is listed twice", nil},
		{"replicaRegions not a list", "dev", "replicaRegions", `"eu-west-1"`, "distinct region codes", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := maps.Clone(tc.also)
			if cfg == nil {
				cfg = map[string]string{}
			}
			key, value := "auris-jwtsecret:"+tc.key, tc.value
			if tc.key != "" {
				cfg[key] = value
			} else {
				key, value = "auris-jwtsecret:stage", tc.stack
			}
			args, err := ParseArgs(testProject, tc.stack, getter(cfg))
			if err == nil {
				t.Fatalf("accepted %s = %q: %+v", key, value, args)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error is not a *ConfigError: %v", err)
			}
			msg := err.Error()
			for _, want := range []string{key, fmt.Sprintf("%q", value), tc.allowed} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
		})
	}
}

func TestParseArgsReportsAllErrorsAtOnce(t *testing.T) {
	_, err := ParseArgs(testProject, "dev", getter(map[string]string{
		"auris-jwtsecret:length":       "16",
		"auris-jwtsecret:rotationDays": "0",
		"auris-jwtsecret:stage":        "Prod!",
	}))
	if err == nil {
		t.Fatal("accepted three invalid values")
	}
	for _, key := range []string{"length", "rotationDays", "stage"} {
		if !strings.Contains(err.Error(), "auris-jwtsecret:"+key) {
			t.Errorf("error does not mention %s: %v", key, err)
		}
	}
}

func TestTooManyTags(t *testing.T) {
	tags := map[string]string{}
	for i := range 48 {
		tags[strings.Repeat("k", i+1)] = "v"
	}
	// 48 of ours + Project, Stage, ManagedBy = 51 > 50.
	if err := checkTags(tags); err == nil {
		t.Fatal("accepted 51 tags")
	}
	delete(tags, "k")
	if err := checkTags(tags); err != nil {
		t.Fatalf("rejected 50 tags: %v", err)
	}
	// Overriding a base tag does not add one.
	tags["Stage"] = "x"
	if err := checkTags(tags); err != nil {
		t.Fatalf("rejected an override of a base tag: %v", err)
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	args, err := ParseArgs(testProject, "dev", getter(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := args.Validate(); err != nil {
		t.Fatalf("ParseArgs result does not validate: %v", err)
	}
	args.RotationDays = 0
	args.ReaderRoles = []string{"a", "a"}
	err = args.Validate()
	if err == nil || !strings.Contains(err.Error(), "rotationDays: 0") || !strings.Contains(err.Error(), "readerRoles") {
		t.Fatalf("Validate() = %v, want errors naming rotationDays and readerRoles", err)
	}
}

func TestMergeTags(t *testing.T) {
	got := mergeTags("proj", "dev", map[string]string{"Team": "id", "ManagedBy": "someone"})
	want := map[string]string{"Project": "proj", "Stage": "dev", "ManagedBy": "someone", "Team": "id"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mergeTags = %v, want %v", got, want)
	}
}

// loadStackConfig reads Pulumi.yaml and Pulumi.<stack>.yaml the way the CLI
// does: project defaults first, stack values on top, every value as the
// string the program receives.
func loadStackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	proj, err := workspace.LoadProject(filepath.Join("..", "Pulumi.yaml"))
	if err != nil {
		t.Fatalf("loading Pulumi.yaml: %v", err)
	}
	ps, err := workspace.LoadProjectStack(nil, proj, filepath.Join("..", "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatalf("loading Pulumi.%s.yaml: %v", stack, err)
	}
	cfg := projectDefaults(t, proj)
	for k, v := range ps.Config {
		s, err := v.Value(config.NopDecrypter)
		if err != nil {
			t.Fatal(err)
		}
		cfg[k.String()] = s
	}
	return cfg
}

// projectDefaults are the defaults Pulumi.yaml declares, encoded as the CLI
// passes them: strings as they are, everything else as JSON.
func projectDefaults(t *testing.T, proj *workspace.Project) map[string]string {
	t.Helper()
	cfg := map[string]string{}
	for key, decl := range proj.Config {
		if decl.Default == nil {
			continue
		}
		s, ok := decl.Default.(string)
		if !ok {
			b, err := json.Marshal(decl.Default)
			if err != nil {
				t.Fatalf("default of %s: %v", key, err)
			}
			s = string(b)
		}
		cfg[proj.Name.String()+":"+key] = s
	}
	return cfg
}

func TestProjectFileDeclaresEveryKeyWithTheProgramsDefaults(t *testing.T) {
	proj, err := workspace.LoadProject(filepath.Join("..", "Pulumi.yaml"))
	if err != nil {
		t.Fatalf("Pulumi.yaml: %v", err)
	}
	if proj.Name.String() != testProject {
		t.Fatalf("project name %q, tests and docs use %q", proj.Name, testProject)
	}
	keys := []string{KeyStage, KeyLength, KeyRotationDays, KeyRecoveryWindowInDays, KeyLogRetentionDays,
		KeyProtect, KeyGeneration, KeyTags, KeyReaderRoles, KeyAlarmEmail, KeyKmsKeyArn, KeyCreateKmsKey,
		KeyRestrictReaders, KeyReplicaRegions}
	declared := slices.Sorted(func(yield func(string) bool) {
		for k := range proj.Config {
			if !yield(k) {
				return
			}
		}
	})
	if !reflect.DeepEqual(declared, slices.Sorted(slices.Values(keys))) {
		t.Fatalf("Pulumi.yaml declares %v, the program reads %v", declared, keys)
	}
	for _, k := range keys {
		d := proj.Config[k]
		if d.Type == nil || d.Description == "" {
			t.Errorf("%s: needs a type and a description", k)
		}
	}
	// The program's own defaults (used when a key is unset) must be the
	// declared ones.
	defaults, err := ParseArgs(testProject, "dev", getter(nil))
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := ParseArgs(testProject, "dev", getter(projectDefaults(t, proj)))
	if err != nil {
		t.Fatalf("Pulumi.yaml defaults do not parse: %v", err)
	}
	if !reflect.DeepEqual(defaults, fromFile) {
		t.Fatalf("program defaults %+v differ from Pulumi.yaml defaults %+v", defaults, fromFile)
	}
	if proj.Config[KeyStage].Default != nil {
		t.Error("stage must have no default in Pulumi.yaml: it defaults to the stack name")
	}
}

func TestStackFiles(t *testing.T) {
	for _, tc := range []struct {
		stack    string
		recovery int
		protect  bool
	}{
		{"dev", 7, false},
		{"prod", 30, true},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			cfg := loadStackConfig(t, tc.stack)
			if got := cfg["aws:region"]; got != naming.DefaultRegion {
				t.Errorf("aws:region = %q, want %s", got, naming.DefaultRegion)
			}
			args, err := ParseArgs(testProject, tc.stack, getter(cfg))
			if err != nil {
				t.Fatalf("Pulumi.%s.yaml: %v", tc.stack, err)
			}
			if args.Stage != tc.stack || args.RecoveryWindowInDays != tc.recovery || args.Protect != tc.protect ||
				args.Length != 64 || args.RotationDays != 180 || args.Generation != 1 {
				t.Errorf("Pulumi.%s.yaml gives %+v", tc.stack, args)
			}
		})
	}
}
