package rotation

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// fakeSecretsManager is an in-memory model of one Secrets Manager secret that
// applies AWS's documented staging-label rules:
//   - a label is on at most one version;
//   - AWSCURRENT moves only with RemoveFromVersionId naming its holder, and
//     leaves AWSPREVIOUS on that holder;
//   - AWSCURRENT cannot simply be removed;
//   - PutSecretValue with no stages makes the new version AWSCURRENT;
//   - a ClientRequestToken is idempotent for the same value and refused
//     (ResourceExistsException) for another;
//   - the placeholder RotateSecret creates has no value, and reading it is
//     ResourceNotFoundException;
//   - a label removal must name the version that holds the label.
type fakeSecretsManager struct {
	mu              sync.Mutex
	name, arn       string
	rotationEnabled bool
	versions        map[string]*fakeVersion
	clock           time.Time
}

type fakeVersion struct {
	value   *string
	stages  []string
	created time.Time
}

const fakeARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-auris-jwt-secret-AbCdEf"

// newFake returns a secret named dev-auris-jwt-secret whose AWSCURRENT
// version (id "initial-version-0000000000000000000") holds initial.
func newFake(initial string) *fakeSecretsManager {
	f := &fakeSecretsManager{
		name: "dev-auris-jwt-secret", arn: fakeARN,
		versions: map[string]*fakeVersion{},
		clock:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	f.versions[initialVersion] = &fakeVersion{value: aws.String(initial), stages: []string{StageCurrent}, created: f.clock}
	return f
}

const initialVersion = "initial-version-0000000000000000000"

func (f *fakeSecretsManager) checkID(id *string) error {
	if s := aws.ToString(id); s != f.name && s != f.arn {
		return &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
	}
	return nil
}

func (f *fakeSecretsManager) holder(stage string) string {
	for id, v := range f.versions {
		if slices.Contains(v.stages, stage) {
			return id
		}
	}
	return ""
}

// attach puts stage on id, taking it off its holder; moving AWSCURRENT leaves
// AWSPREVIOUS on the old holder.
func (f *fakeSecretsManager) attach(stage, id string) {
	old := f.holder(stage)
	if old == id {
		return
	}
	if old != "" {
		f.detach(stage, old)
		if stage == StageCurrent {
			if prev := f.holder(StagePrevious); prev != "" {
				f.detach(StagePrevious, prev)
			}
			f.versions[old].stages = append(f.versions[old].stages, StagePrevious)
		}
	}
	f.versions[id].stages = append(f.versions[id].stages, stage)
}

func (f *fakeSecretsManager) detach(stage, id string) {
	v := f.versions[id]
	v.stages = slices.DeleteFunc(v.stages, func(s string) bool { return s == stage })
}

func (f *fakeSecretsManager) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkID(in.SecretId); err != nil {
		return nil, err
	}
	out := &secretsmanager.DescribeSecretOutput{
		ARN: aws.String(f.arn), Name: aws.String(f.name),
		RotationEnabled:    aws.Bool(f.rotationEnabled),
		VersionIdsToStages: map[string][]string{},
	}
	for id, v := range f.versions {
		if len(v.stages) > 0 { // versions without labels are deprecated and not listed
			out.VersionIdsToStages[id] = slices.Clone(v.stages)
		}
	}
	return out, nil
}

func (f *fakeSecretsManager) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkID(in.SecretId); err != nil {
		return nil, err
	}
	id, stage := aws.ToString(in.VersionId), aws.ToString(in.VersionStage)
	if id == "" && stage == "" {
		stage = StageCurrent
	}
	if id == "" {
		id = f.holder(stage)
	}
	v, ok := f.versions[id]
	if !ok || v.value == nil {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret value for VersionId: " + id)}
	}
	if stage != "" && !slices.Contains(v.stages, stage) {
		return nil, &types.InvalidRequestException{Message: aws.String("You provided a VersionStage that is not associated to the provided VersionId.")}
	}
	return &secretsmanager.GetSecretValueOutput{
		ARN: aws.String(f.arn), Name: aws.String(f.name), VersionId: aws.String(id),
		SecretString: aws.String(*v.value), VersionStages: slices.Clone(v.stages), CreatedDate: aws.Time(v.created),
	}, nil
}

func (f *fakeSecretsManager) PutSecretValue(_ context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkID(in.SecretId); err != nil {
		return nil, err
	}
	token := aws.ToString(in.ClientRequestToken)
	if n := len(token); n < 32 || n > 64 {
		return nil, &types.InvalidParameterException{Message: aws.String("ClientRequestToken must be 32 to 64 characters")}
	}
	stages := in.VersionStages
	if len(stages) == 0 {
		stages = []string{StageCurrent}
	}
	value := aws.ToString(in.SecretString)
	if v, ok := f.versions[token]; ok && v.value != nil {
		if *v.value != value {
			return nil, &types.ResourceExistsException{Message: aws.String("You can't modify an existing version, you can only create a new version.")}
		}
		return &secretsmanager.PutSecretValueOutput{ARN: aws.String(f.arn), VersionId: aws.String(token), VersionStages: slices.Clone(v.stages)}, nil
	}
	f.clock = f.clock.Add(time.Minute)
	v, ok := f.versions[token]
	if !ok {
		v = &fakeVersion{created: f.clock}
		f.versions[token] = v
	}
	v.value = aws.String(value)
	for _, s := range stages {
		f.attach(s, token)
	}
	return &secretsmanager.PutSecretValueOutput{ARN: aws.String(f.arn), VersionId: aws.String(token), VersionStages: slices.Clone(v.stages)}, nil
}

func (f *fakeSecretsManager) UpdateSecretVersionStage(_ context.Context, in *secretsmanager.UpdateSecretVersionStageInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkID(in.SecretId); err != nil {
		return nil, err
	}
	stage := aws.ToString(in.VersionStage)
	moveTo, removeFrom := aws.ToString(in.MoveToVersionId), aws.ToString(in.RemoveFromVersionId)
	invalid := func(format string, a ...any) error {
		return &types.InvalidParameterException{Message: aws.String(fmt.Sprintf(format, a...))}
	}
	if removeFrom != "" {
		v, ok := f.versions[removeFrom]
		if !ok {
			return nil, &types.ResourceNotFoundException{Message: aws.String("version " + removeFrom + " not found")}
		}
		if !slices.Contains(v.stages, stage) {
			return nil, invalid("The staging label %s is not attached to version %s.", stage, removeFrom)
		}
	}
	if moveTo == "" {
		if removeFrom == "" {
			return nil, invalid("Specify MoveToVersionId or RemoveFromVersionId.")
		}
		if stage == StageCurrent {
			return nil, invalid("You can't remove the staging label AWSCURRENT without moving it to another version.")
		}
		f.detach(stage, removeFrom)
		return &secretsmanager.UpdateSecretVersionStageOutput{ARN: aws.String(f.arn), Name: aws.String(f.name)}, nil
	}
	if _, ok := f.versions[moveTo]; !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("version " + moveTo + " not found")}
	}
	if holder := f.holder(stage); holder != "" && holder != moveTo && holder != removeFrom {
		return nil, invalid("The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to version %s, so you must explicitly reference that version in RemoveFromVersionId.", stage, holder)
	}
	f.attach(stage, moveTo)
	return &secretsmanager.UpdateSecretVersionStageOutput{ARN: aws.String(f.arn), Name: aws.String(f.name)}, nil
}

// startRotation does what RotateSecret does before it invokes the function:
// it refuses while another rotation is unfinished, enables rotation and
// stages an empty AWSPENDING placeholder under token.
func (f *fakeSecretsManager) startRotation(token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.holder(StagePending); p != "" && p != f.holder(StageCurrent) {
		return &types.InvalidRequestException{Message: aws.String("A previous rotation isn't complete. That rotation will be reattempted.")}
	}
	f.rotationEnabled = true
	f.clock = f.clock.Add(time.Minute)
	f.versions[token] = &fakeVersion{created: f.clock}
	f.attach(StagePending, token)
	return nil
}

// stagePendingCopy does what AWS does to validate a rotation set up without
// rotating immediately: it stages a copy of the current value as AWSPENDING.
func (f *fakeSecretsManager) stagePendingCopy(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rotationEnabled = true
	cur := f.versions[f.holder(StageCurrent)]
	f.versions[token] = &fakeVersion{value: aws.String(*cur.value), created: f.clock}
	f.attach(StagePending, token)
}

// snapshot is the observable state: version -> labels and version -> value.
func (f *fakeSecretsManager) snapshot() (stages map[string][]string, values map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	stages, values = map[string][]string{}, map[string]string{}
	for id, v := range f.versions {
		stages[id] = slices.Clone(v.stages)
		slices.Sort(stages[id])
		if v.value != nil {
			values[id] = *v.value
		}
	}
	return stages, values
}

func (f *fakeSecretsManager) labelHolders() map[string][]string {
	stages, _ := f.snapshot()
	holders := map[string][]string{}
	for _, id := range slices.Sorted(maps.Keys(stages)) {
		for _, s := range stages[id] {
			holders[s] = append(holders[s], id)
		}
	}
	return holders
}
