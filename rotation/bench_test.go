package rotation

import (
	"context"
	"testing"
)

// BenchmarkRotation runs full rotations against the in-memory model and
// reports the Secrets Manager calls each one makes (AWS's template: 11).
func BenchmarkRotation(b *testing.B) {
	ctx := context.Background()
	f := newFake(oldValue)
	c := record(f)
	r, _ := New(c, DefaultLength, discardLogger())
	i := 0
	for b.Loop() {
		i++
		must(f.startRotation(token(i)))
		if err := rotateAll(ctx, r, token(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(c.calls))/float64(i), "calls/rotation")
	b.ReportMetric(float64(len(c.writes()))/float64(i), "writes/rotation")
}
