package jwtkeys

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// fakeSM is an in-memory secret with the staging labels that matter here:
// AWSCURRENT and AWSPREVIOUS, moved as a finished rotation moves them.
type fakeSM struct {
	mu     sync.Mutex
	values map[string]string // version id -> value
	stages map[string]string // label -> version id
	calls  []string          // the stage each GetSecretValue asked for
	err    error             // when set, every call fails with it
	// afterRead, when set, runs after each successful read, unlocked, with
	// the number of calls so far.
	afterRead func(n int)
	// block, when set, is waited on at the start of each call.
	block chan struct{}
}

func newFakeSM(id, value string) *fakeSM {
	return &fakeSM{
		values: map[string]string{id: value},
		stages: map[string]string{StageCurrent: id},
	}
}

// rotate makes id (with value) AWSCURRENT and the old current AWSPREVIOUS.
func (f *fakeSM) rotate(id, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.values[id] = value
	f.stages[StagePrevious] = f.stages[StageCurrent]
	f.stages[StageCurrent] = id
}

func (f *fakeSM) dropPrevious() {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.stages, StagePrevious)
}

func (f *fakeSM) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeSM) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	stage := aws.ToString(in.VersionStage)
	f.calls = append(f.calls, stage)
	n := len(f.calls)
	if f.err != nil {
		err := f.err
		f.mu.Unlock()
		return nil, err
	}
	if in.VersionId != nil || stage == "" {
		f.mu.Unlock()
		return nil, errors.New("fakeSM: only reads by stage are modelled")
	}
	id, ok := f.stages[stage]
	if !ok {
		f.mu.Unlock()
		return nil, &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret value for staging label: " + stage)}
	}
	out := &secretsmanager.GetSecretValueOutput{
		VersionId:     aws.String(id),
		SecretString:  aws.String(f.values[id]),
		VersionStages: []string{stage},
	}
	hook := f.afterRead
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return out, nil
}
