package rotation

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// TestFaultInjection fails every call of a rotation in turn, once before it
// takes effect and once after (the response is lost), then re-runs the whole
// rotation with the same token as Secrets Manager does. Every case must end
// fully rotated.
func TestFaultInjection(t *testing.T) {
	ctx := context.Background()
	clean := newFake(oldValue)
	c := record(clean)
	r, _ := newTestRotator(t, c, 64)
	must(clean.startRotation(token(1)))
	if err := rotateAll(ctx, r, token(1)); err != nil {
		t.Fatal(err)
	}
	calls := slices.Clone(c.calls)

	for i, cl := range calls {
		for _, mode := range []faultMode{failBefore, loseResponse} {
			t.Run(fmt.Sprintf("call%d-%s-%s", i, cl.op, mode), func(t *testing.T) {
				f := newFake(oldValue)
				c := record(f)
				c.faultAt, c.mode = i, mode
				r, logs := newTestRotator(t, c, 64)
				must(f.startRotation(token(1)))
				err := rotateAll(ctx, r, token(1))
				if !errors.Is(err, errInjected) {
					t.Fatalf("first attempt: error %v, want the injected fault", err)
				}
				if err := rotateAll(ctx, r, token(1)); err != nil {
					t.Fatalf("retry: %v", err)
				}
				assertRotated(t, f, token(1), initialVersion, oldValue, 64)
				assertNoValueIn(t, f, "log", logs.String())
			})
		}
	}
}

func TestTenRotations(t *testing.T) {
	ctx := context.Background()
	f := newFake(oldValue)
	r, logs := newTestRotator(t, f, 64)
	prevID, prevValue := initialVersion, oldValue
	seen := map[string]bool{oldValue: true}
	for i := 1; i <= 10; i++ {
		must(f.startRotation(token(i)))
		if err := rotateAll(ctx, r, token(i)); err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
		assertRotated(t, f, token(i), prevID, prevValue, 64)
		_, values := f.snapshot()
		if seen[values[token(i)]] {
			t.Fatalf("rotation %d repeated a value", i)
		}
		seen[values[token(i)]] = true
		prevID, prevValue = token(i), values[token(i)]
	}
	stages, _ := f.snapshot()
	var labelled int
	for _, s := range stages {
		if len(s) > 0 {
			labelled++
		}
	}
	if labelled != 2 {
		t.Fatalf("%d labelled versions after ten rotations, want 2 (current and previous)", labelled)
	}
	assertNoValueIn(t, f, "log", logs.String())
}

// TestRacingRotations runs two rotations with different tokens at once,
// their Secrets Manager calls interleaved in a different seeded order each
// time, then retries each failed rotation as Secrets Manager would. The
// labels must stay consistent: one AWSCURRENT holding a new well-formed
// value, the old current or the loser as AWSPREVIOUS, and no AWSPENDING
// left on a version that is not current.
func TestRacingRotations(t *testing.T) {
	ctx := context.Background()
	winners := map[string]int{}
	for seed := range uint64(300) {
		f := newFake(oldValue)
		must(f.startRotation(token(1)))

		sched := newScheduler(seed, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			c := record(f)
			c.before = func(string) { sched.turn(i) }
			r, _ := newTestRotator(t, c, 64)
			wg.Go(func() {
				defer sched.done(i)
				sched.turn(i)
				if i == 1 {
					// A second rotation staged at a random point of the
					// first one, behind its back (RotateSecret itself would
					// refuse): the worst case the labels must survive.
					f.mu.Lock()
					f.versions[token(2)] = &fakeVersion{}
					f.attach(StagePending, token(2))
					f.mu.Unlock()
				}
				errs[i] = rotateAll(ctx, r, token(i+1))
			})
		}
		wg.Wait()
		for i, err := range errs {
			for try := 0; err != nil && try < 3; try++ {
				r, _ := newTestRotator(t, f, 64)
				err = rotateAll(ctx, r, token(i+1))
			}
		}

		holders := f.labelHolders()
		for label, ids := range holders {
			if len(ids) > 1 {
				t.Fatalf("seed %d: %s on %v", seed, label, ids)
			}
		}
		cur := holders[StageCurrent]
		if len(cur) != 1 {
			t.Fatalf("seed %d: AWSCURRENT on %v", seed, cur)
		}
		_, values := f.snapshot()
		if err := ValidateValue(values[cur[0]], 64); err != nil || values[cur[0]] == oldValue {
			t.Fatalf("seed %d: current version %s is not a new well-formed value (%v)", seed, cur[0], err)
		}
		if p := holders[StagePending]; len(p) == 1 && p[0] != cur[0] {
			t.Fatalf("seed %d: AWSPENDING left on %s, current is %s", seed, p[0], cur[0])
		}
		if len(holders[StagePrevious]) != 1 {
			t.Fatalf("seed %d: AWSPREVIOUS on %v", seed, holders[StagePrevious])
		}
		winners[cur[0]]++
	}
	// Both orders must have occurred, or the scheduler did not interleave.
	if len(winners) != 2 {
		t.Fatalf("current after the race, by token: %v; want both tokens to win some interleavings", winners)
	}
	t.Logf("current after the race, by token: %v", winners)
}

// scheduler lets exactly one of n goroutines run at a time and picks the
// next one at random (seeded) at each Secrets Manager call, so that a seed
// reproduces one interleaving.
type scheduler struct {
	mu      sync.Mutex
	cond    *sync.Cond
	rng     *rand.Rand
	running int
	waiting map[int]bool
	alive   map[int]bool
}

func newScheduler(seed uint64, n int) *scheduler {
	s := &scheduler{rng: rand.New(rand.NewPCG(seed, 1)), running: -1, waiting: map[int]bool{}, alive: map[int]bool{}}
	s.cond = sync.NewCond(&s.mu)
	for i := range n {
		s.alive[i] = true
	}
	return s
}

// turn blocks goroutine i until the scheduler picks it.
func (s *scheduler) turn(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running == i {
		s.running = -1
	}
	s.waiting[i] = true
	s.pick()
	for s.running != i {
		s.cond.Wait()
	}
	delete(s.waiting, i)
}

func (s *scheduler) done(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.alive, i)
	if s.running == i {
		s.running = -1
	}
	s.pick()
}

// pick chooses the next goroutine once every live one is waiting.
func (s *scheduler) pick() {
	if s.running != -1 || len(s.waiting) < len(s.alive) || len(s.waiting) == 0 {
		return
	}
	var ids []int
	for id := range s.waiting {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	s.running = ids[s.rng.IntN(len(ids))]
	s.cond.Broadcast()
}
