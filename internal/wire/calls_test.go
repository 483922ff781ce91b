//go:build linux

package wire

import (
	"context"
	"net"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/probe-net/probe/internal/phasev1"
	"github.com/probe-net/probe/sdk"
)

// sleepPhase sleeps for the target's port in milliseconds, then reports
// the target's name: answers to concurrent calls come back out of order.
type sleepPhase struct{}

func (sleepPhase) Describe() sdk.Description  { return sdk.Description{Name: "sleep", Version: "test"} }
func (sleepPhase) Configure(sdk.Config) error { return nil }
func (sleepPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	select {
	case <-time.After(time.Duration(req.Target.Port) * time.Millisecond):
	case <-ctx.Done():
		return nil, sdk.Errorf(sdk.KindTimeout, "sleep: %v", ctx.Err())
	}
	return &sdk.Result{Attributes: sdk.Attributes{"sleep.name": req.Target.Name}}, nil
}

// unaryOnly is a plugin built before the Calls stream existed.
type unaryOnly struct {
	phasev1.UnimplementedPhaseServer
	s *server
}

func (u unaryOnly) Run(ctx context.Context, req *phasev1.RunRequest) (*phasev1.RunResponse, error) {
	return u.s.Run(ctx, req)
}

// serveOver serves srv on a unix socket and returns a client for it; stop
// ends the server abruptly, as a plugin process that died.
func serveOver(t *testing.T, srv phasev1.PhaseServer) (c *Client, stop func()) {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "plugin.sock"))
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	phasev1.RegisterPhaseServer(gs, srv)
	go func() { _ = gs.Serve(ln) }()
	conn, err := grpc.NewClient("unix:"+ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	c = newClient(phasev1.NewPhaseClient(conn), nil)
	t.Cleanup(func() {
		c.Close()
		conn.Close()
		gs.Stop()
	})
	return c, gs.Stop
}

func TestCallsMatchAnswersToConcurrentRuns(t *testing.T) {
	c, _ := serveOver(t, newServer(sleepPhase{}, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "t" + strconv.Itoa(i)
			r, err := c.Run(ctx, Call{Target: sdk.Target{Name: name, Port: 20 - i}, Timeout: 5 * time.Second})
			if err != nil || r.Failure != nil {
				t.Errorf("%s: %v %v", name, err, r.Failure)
				return
			}
			if got := r.Attributes["sleep.name"]; got != name {
				t.Errorf("call for %s got the answer for %v", name, got)
			}
		}()
	}
	wg.Wait()
	if c.calls.unary {
		t.Error("the calls went unary although the plugin serves Calls")
	}
}

func TestCallsFallBackToUnaryRun(t *testing.T) {
	c, _ := serveOver(t, unaryOnly{s: newServer(sleepPhase{}, nil)})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 3 {
		r, err := c.Run(ctx, Call{Target: sdk.Target{Name: "old", Port: 1}, Timeout: time.Second})
		if err != nil || r.Attributes["sleep.name"] != "old" {
			t.Fatalf("call %d to a plugin without Calls: %v, %v", i, r, err)
		}
	}
	if !c.calls.unary {
		t.Error("the client did not remember that the plugin has no Calls")
	}
}

func TestCallsEndWithTheirDeadline(t *testing.T) {
	c, _ := serveOver(t, newServer(sleepPhase{}, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// The plugin is told it has 10 s; the host gives up at ctx's end.
	_, err := c.Run(ctx, Call{Target: sdk.Target{Name: "slow", Port: 2000}, Timeout: 10 * time.Second})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("got %v, want code DeadlineExceeded", err)
	}
	// The stream survives a call given up on.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if r, err := c.Run(ctx2, Call{Target: sdk.Target{Name: "next", Port: 1}, Timeout: time.Second}); err != nil || r.Attributes["sleep.name"] != "next" {
		t.Fatalf("call after an abandoned one: %v, %v", r, err)
	}
}

func TestCallsFailWhenThePluginGoesAway(t *testing.T) {
	c, stop := serveOver(t, newServer(sleepPhase{}, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Run(ctx, Call{Target: sdk.Target{Name: "first", Port: 1}, Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx, Call{Target: sdk.Target{Name: "cut", Port: 3000}, Timeout: 5 * time.Second})
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the call reach the plugin
	stop()
	select {
	case err := <-errc:
		if status.Code(err) != codes.Unavailable {
			t.Errorf("call cut short by the plugin's end: got %v, want code Unavailable", err)
		}
	case <-ctx.Done():
		t.Fatal("a call in flight did not end when the plugin went away")
	}
}

// readsPhase reports the keys of the attributes it was given.
type readsPhase struct{ reads []string }

func (p readsPhase) Describe() sdk.Description {
	return sdk.Description{Name: "reads", Version: "test", Reads: p.reads}
}
func (readsPhase) Configure(sdk.Config) error { return nil }
func (readsPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	var keys []string
	for k := range req.Attributes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return &sdk.Result{Attributes: sdk.Attributes{"reads.got": keys}}, nil
}

func TestRunSendsOnlyTheAttributesAPhaseReads(t *testing.T) {
	earlier := sdk.Attributes{"dns.rcode": "NOERROR", "tls.alpn": "h2", "tls.version": "TLS 1.3", "tcp.remote": "x"}
	for _, c := range []struct {
		reads []string
		want  []string
	}{
		{nil, []string{"dns.rcode", "tcp.remote", "tls.alpn", "tls.version"}}, // undeclared: all
		{sdk.ReadsNone, nil},
		{[]string{"tls.alpn", "http.status"}, []string{"tls.alpn"}},
		{[]string{"tls."}, []string{"tls.alpn", "tls.version"}},
	} {
		cl, _ := serveOver(t, newServer(readsPhase{c.reads}, nil))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		d, err := cl.Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d.Reads, c.reads) {
			t.Errorf("Describe: Reads %#v, want %#v", d.Reads, c.reads)
		}
		r, err := cl.Run(ctx, Call{Attributes: earlier, Timeout: time.Second})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := r.Attributes["reads.got"].([]string)
		if !slices.Equal(got, c.want) {
			t.Errorf("Reads %q: the phase got %q, want %q", c.reads, got, c.want)
		}
	}
}

// Closing the client (the host stopping or replacing the plugin) fails the
// calls in flight as unavailable, as a killed process would, not as
// cancelled (which means the run was interrupted).
func TestCallsInFlightWhenTheClientClosesAreUnavailable(t *testing.T) {
	c, _ := serveOver(t, newServer(sleepPhase{}, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx, Call{Target: sdk.Target{Name: "cut", Port: 3000}, Timeout: 5 * time.Second})
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	c.Close()
	select {
	case err := <-errc:
		if status.Code(err) != codes.Unavailable {
			t.Errorf("got %v, want code Unavailable", err)
		}
	case <-ctx.Done():
		t.Fatal("the call did not end when the client closed")
	}
}
