package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/auris/jwtsecret/rotation"
)

// BenchmarkStep reports the wall time of each step of a rotation through the
// emulator against moto (warm function), one full rotation of a new secret
// per iteration.
func BenchmarkStep(b *testing.B) {
	total := map[rotation.Step]time.Duration{}
	for b.Loop() {
		b.StopTimer()
		// A fresh secret each time: moto slows down as versions pile up on
		// one secret, which AWS does not.
		arn := newSecretB(b)
		token := startRotation(b, arn, true)
		b.StartTimer()
		for _, step := range rotation.Steps {
			start := time.Now()
			if err := invoke(step, arn, token); err != nil {
				b.Fatalf("%s: %v", step, err)
			}
			total[step] += time.Since(start)
		}
	}
	for _, step := range rotation.Steps {
		b.ReportMetric(float64(total[step].Microseconds())/1000/float64(b.N), "ms/"+string(step))
	}
}

// BenchmarkColdStart reports the time from starting the emulator (which
// starts the function process on the first invocation) to the end of the
// first step.
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	env.emu.Close()
	defer func() {
		var err error
		if env.emu, err = startEmulator(ctx); err != nil {
			b.Fatal(err)
		}
	}()
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		arn := newSecretB(b)
		token := startRotation(b, arn, true)
		b.StartTimer()
		start := time.Now()
		emu, err := startEmulator(ctx)
		if err != nil {
			b.Fatal(err)
		}
		env.emu = emu
		if err := invoke(rotation.CreateSecret, arn, token); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		for _, step := range rotation.Steps[1:] {
			if err := invoke(step, arn, token); err != nil {
				b.Fatal(err)
			}
		}
		emu.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/cold-start")
}

// benchSecrets numbers the secrets benchmarks create: -count reruns a
// benchmark under the same name, and secret names must be unique.
var benchSecrets int

func newSecretB(b *testing.B) string {
	benchSecrets++
	return newSecretNamed(b, fmt.Sprintf("%s-%d", b.Name(), benchSecrets))
}
