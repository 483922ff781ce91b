//go:build linux

package wire

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/probe-net/probe/internal/phasev1"
)

// The Calls stream: one long-lived gRPC stream per plugin process carries
// every run, instead of a unary call (and its HTTP/2 stream, headers and
// trailers, and handler goroutine) per run. Runs are matched to answers by
// call_id and proceed concurrently on both sides.

// Calls serves the stream inside the plugin process: each request runs on
// a worker goroutine, and its answer goes back as soon as it is ready.
// The stream's end (the host closed it or went away) cancels every run in
// flight.
func (s *server) Calls(stream phasev1.Phase_CallsServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	out := &sender{stream: stream}
	pool := newWorkers(ctx)
	defer pool.wait()
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil // the host closed the stream or is gone
		}
		pool.run(func() {
			callCtx, cancel := callContext(ctx, req)
			resp := s.run(callCtx, req)
			cancel()
			resp.CallId = req.GetCallId()
			out.send(resp)
		})
	}
}

// callContext is a call's context on the stream: it ends when the host
// gives up on the call (its budget plus TimeoutGrace), as a unary call's
// does, or when the stream ends.
func callContext(stream context.Context, req *phasev1.RunRequest) (context.Context, context.CancelFunc) {
	if t := time.Duration(req.GetTimeoutNs()); t > 0 {
		return context.WithTimeout(stream, t+TimeoutGrace)
	}
	return context.WithCancel(stream)
}

// sender serialises Sends on a server stream.
type sender struct {
	mu     sync.Mutex
	stream phasev1.Phase_CallsServer
	err    error
}

func (s *sender) send(resp *phasev1.RunResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = s.stream.Send(resp)
	}
}

// workers runs functions on long-lived goroutines: a goroutine that ran a
// phase keeps the stack it grew for it (a new goroutine per run would
// grow one again every time, which showed up as runtime.adjustframe and
// copystack in the plugins' CPU profiles).
type workers struct {
	ctx  context.Context
	work chan func()
	wg   sync.WaitGroup
}

func newWorkers(ctx context.Context) *workers {
	return &workers{ctx: ctx, work: make(chan func())}
}

// run hands f to an idle worker, or starts one.
func (w *workers) run(f func()) {
	select {
	case w.work <- f:
	default:
		w.wg.Add(1)
		go w.loop(f)
	}
}

func (w *workers) loop(f func()) {
	defer w.wg.Done()
	for {
		f()
		select {
		case f = <-w.work:
		case <-w.ctx.Done():
			return
		}
	}
}

// wait returns when every worker has finished its run and stopped; the
// context must be done.
func (w *workers) wait() { w.wg.Wait() }

// callMux is the host's end of the Calls stream of one plugin process.
type callMux struct {
	open func(ctx context.Context) (phasev1.Phase_CallsClient, error)

	mu      sync.Mutex
	current *callStream // nil until the first call, and after a stream broke
	lastID  uint64
	// unary is set once the plugin said it has no Calls: every run then
	// goes as a unary Run.
	unary  bool
	closed bool
}

// callStream is one incarnation of the stream.
type callStream struct {
	stream  phasev1.Phase_CallsClient
	cancel  context.CancelFunc
	sendMu  sync.Mutex                           // serialises Sends
	pending map[uint64]chan *phasev1.RunResponse // guarded by callMux.mu
	done    chan struct{}                        // closed when the stream ended
	err     error                                // why; set before done closes
}

// errUnary tells the caller to use the unary Run.
var errUnary = errors.New("plugin serves no Calls stream")

// call sends req on the stream and waits for its answer or for ctx to
// end. It returns errUnary when the plugin has no Calls stream; a broken
// stream is a gRPC status error (codes.Unavailable when the process died),
// a call whose ctx ended one with the context's code.
func (m *callMux) call(ctx context.Context, req *phasev1.RunRequest) (*phasev1.RunResponse, error) {
	cs, id, answer, err := m.register()
	if err != nil {
		return nil, err
	}
	req.CallId = id
	cs.sendMu.Lock()
	err = cs.stream.Send(req)
	cs.sendMu.Unlock()
	if err != nil {
		// Send reports only io.EOF for a stream that ended; the receiver
		// learns why.
		m.forget(cs, id)
		select {
		case <-cs.done:
			return nil, m.explain(cs.err)
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	select {
	case resp := <-answer:
		return resp, nil
	case <-cs.done:
		m.forget(cs, id)
		select {
		case resp := <-answer: // answered just before the end
			return resp, nil
		default:
		}
		return nil, m.explain(cs.err)
	case <-ctx.Done():
		m.forget(cs, id)
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

// register opens the stream if needed and records a pending call.
func (m *callMux) register() (*callStream, uint64, chan *phasev1.RunResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.unary:
		return nil, 0, nil, errUnary
	case m.closed:
		return nil, 0, nil, status.Error(codes.Canceled, "plugin client closed")
	}
	if m.current == nil {
		ctx, cancel := context.WithCancel(context.Background())
		stream, err := m.open(ctx)
		if err != nil {
			cancel()
			return nil, 0, nil, err
		}
		m.current = &callStream{stream: stream, cancel: cancel,
			pending: map[uint64]chan *phasev1.RunResponse{}, done: make(chan struct{})}
		go m.receive(m.current)
	}
	m.lastID++
	ch := make(chan *phasev1.RunResponse, 1)
	m.current.pending[m.lastID] = ch
	return m.current, m.lastID, ch, nil
}

func (m *callMux) forget(cs *callStream, id uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(cs.pending, id)
}

// receive hands each answer to its caller until the stream ends.
func (m *callMux) receive(cs *callStream) {
	for {
		resp, err := cs.stream.Recv()
		if err != nil {
			m.broken(cs, err)
			return
		}
		m.mu.Lock()
		ch, ok := cs.pending[resp.GetCallId()]
		delete(cs.pending, resp.GetCallId())
		m.mu.Unlock()
		if ok {
			ch <- resp // buffered: never blocks
		}
	}
}

// broken records why cs ended and forgets it: the next call opens a new
// stream, or goes unary when the plugin has no Calls.
func (m *callMux) broken(cs *callStream, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if status.Code(err) == codes.Unimplemented {
		m.unary = true
	}
	if m.current == cs {
		m.current = nil
	}
	cs.cancel()
	cs.err = err
	close(cs.done)
}

// explain turns the error that ended a stream into a call's error. A
// stream cancelled from this side (the host is stopping or replacing the
// plugin: close) is the plugin going away, codes.Unavailable as for a
// unary call to a killed process; the call's own context ending is
// handled by the caller.
func (m *callMux) explain(err error) error {
	switch status.Code(err) {
	case codes.Unimplemented:
		return errUnary
	case codes.Canceled:
		return status.Error(codes.Unavailable, "plugin call stream closed: the plugin is being stopped")
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unavailable, fmt.Sprintf("plugin call stream: %v", err))
}

// close ends the stream; calls in flight fail and later ones are refused.
func (m *callMux) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.current != nil {
		m.current.cancel()
	}
}
