package preconnect_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/probe-net/probe/preconnect"
)

// Warm keeps PerTarget connections waiting per target, however often it
// is called: a second call makes none and reports the waiting ones.
func TestWarmIsIdempotent(t *testing.T) {
	for _, perTarget := range []int{0, 2} {
		srv := startServer(t, false, false, 0)
		pool, err := preconnect.NewPool(srv.config(), preconnect.PoolOptions{PerTarget: perTarget})
		if err != nil {
			t.Fatal(err)
		}
		want := max(perTarget, 1)
		first := pool.Warm(context.Background(), srv.target(t))
		again := pool.Warm(context.Background(), srv.target(t), srv.target(t))
		if len(first) != want || len(again) != 2*want {
			t.Fatalf("PerTarget %d: %d and %d results, want %d and %d", perTarget, len(first), len(again), want, 2*want)
		}
		made := map[time.Time]bool{} // the first Warm's connections, by start
		for _, r := range first {
			made[r.Start] = r.OK()
		}
		for i, r := range again {
			if !r.OK() || !made[r.Start] {
				t.Errorf("PerTarget %d: result %d of the second Warm (start %v, err %v) is not a waiting connection's", perTarget, i, r.Start, r.Err)
			}
		}
		waitFor(t, "the server to count the connections", func() bool { return srv.accepted.Load() >= int64(want) })
		if n, s := srv.accepted.Load(), pool.Stats(); n != int64(want) || s.Warmed != want || s.Idle != want {
			t.Errorf("PerTarget %d: server accepted %d, pool %+v; want %d of each", perTarget, n, s, want)
		}
		// A connection the Transport took is made again by the next Warm.
		get(t, context.Background(), pool.Transport(), srv.URL+"/")
		pool.Warm(context.Background(), srv.target(t))
		if s := pool.Stats(); s.Warmed != want+1 || s.Idle != want {
			t.Errorf("PerTarget %d: after one was used, Warm left %+v; want %d warmed, %d idle", perTarget, s, want+1, want)
		}
		pool.Close()
	}
}

// A readiness check that retries Warm while re-warming replaces expired
// connections never piles connections up.
func TestWarmInARetryLoopKeepsPerTarget(t *testing.T) {
	srv := startServer(t, false, false, 0)
	const perTarget = 2
	pool, err := preconnect.NewPool(srv.config(), preconnect.PoolOptions{PerTarget: perTarget, MaxIdle: 60 * time.Millisecond, Rewarm: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for i := range 25 {
		for _, r := range pool.Warm(context.Background(), srv.target(t)) {
			if !r.OK() {
				t.Fatalf("Warm %d: %v", i, r.Err)
			}
		}
		if s := pool.Stats(); s.Idle > perTarget {
			t.Fatalf("after Warm %d the pool keeps %d connections, want at most %d: %+v", i, s.Idle, perTarget, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := pool.Stats(); s.Expired == 0 {
		t.Errorf("no connection expired in 0.5 s with MaxIdle 60ms: %+v", s)
	}
}

// Close cancels a Warm in flight and returns only once it has returned,
// with nothing of the pool's left running.
func TestCloseWaitsForWarm(t *testing.T) {
	silent, server := silentServer(t)
	ignore := goleak.IgnoreCurrent()
	pool, err := preconnect.NewPool(noDNS, preconnect.PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	warmed := make(chan []preconnect.Result, 1)
	go func() {
		warmed <- pool.Warm(context.Background(), preconnect.Target{Host: "127.0.0.1", Port: silent, Protocol: "https", Timeout: 30 * time.Second})
	}()
	waitFor(t, "the Warm to connect", func() bool { return server.Accepted() == 1 })
	if err := pool.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-warmed:
		if !errors.Is(r[0].Err, context.Canceled) {
			t.Errorf("Warm cut short by Close: %v, want kind canceled", r[0].Err)
		}
	default:
		t.Fatal("Close returned before the Warm in flight")
	}
	goleak.VerifyNone(t, ignore)
}
