//go:build linux

package fdpass

import (
	"context"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// FuzzChannelMessages sends the host's channel what a plugin process could
// send on its end: any bytes with zero to eight descriptors, then a
// well-formed message. Whatever the first message was: no panic; the
// channel still delivers the second; a well-formed first message (8 bytes,
// one descriptor) is delivered under its id; and no descriptor is left
// open once everything is closed (a malformed message's are closed on
// arrival, those beyond the receive buffer by the kernel).
func FuzzChannelMessages(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 7}, uint8(1))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 7}, uint8(0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 7}, uint8(2))
	f.Add([]byte{}, uint8(1))
	f.Add([]byte{1, 2, 3}, uint8(1))
	f.Add(make([]byte, 9), uint8(1))
	f.Add(make([]byte, 64), uint8(8))
	f.Fuzz(func(t *testing.T, data []byte, nfds uint8) {
		nfds %= 9
		data = data[:min(len(data), 512)]
		if len(data) == 0 && nfds == 0 {
			return // a zero-length message reads as the peer closing the channel
		}
		before := openFDs(t)
		checkMessage(t, data, int(nfds))
		if after := openFDs(t); after != before {
			t.Fatalf("%d descriptors open before, %d after", before, after)
		}
	})
}

func checkMessage(t *testing.T, data []byte, nfds int) {
	t.Helper()
	host, peerEnd, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer peerEnd.Close()
	defer host.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	peer := int(peerEnd.Fd())

	var oob []byte
	if nfds > 0 {
		fds := make([]int, nfds)
		for i := range fds {
			fds[i] = int(r.Fd())
		}
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(peer, data, oob, nil, 0); err != nil {
		t.Skipf("the kernel refuses to send it: %v", err)
	}
	wellFormed := len(data) == 8 && nfds == 1
	id := uint64(1 << 63)
	if wellFormed {
		id = binary.BigEndian.Uint64(data) ^ 1
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], id)
	if err := unix.Sendmsg(peer, msg[:], unix.UnixRights(int(w.Fd())), nil, 0); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := host.ReceiveFile(ctx, id)
	if err != nil {
		t.Fatalf("the well-formed message after %d bytes with %d descriptors: %v", len(data), nfds, err)
	}
	got.Close()
	if wellFormed {
		first, err := host.ReceiveFile(ctx, binary.BigEndian.Uint64(data))
		if err != nil {
			t.Fatalf("a well-formed first message was not delivered: %v", err)
		}
		first.Close()
	}
}
