// Package loopback is test infrastructure for loopback servers: the parts
// that the testbed (examples/testbed: the servers probe's demo and tests
// aim at), the soak bed (internal/soak) and tests with a server of their
// own share.
//
//   - CA (ca.go) is a throwaway certificate authority that issues server
//     certificates for given names and 127.0.0.1 and ::1, with a validity
//     window of the caller's choice (an expired one, say).
//   - TCPServer (tcp.go) accepts TCP connections and hands each to a
//     handler; Close ends every connection and waits (at most CloseWait)
//     for the handlers. ServeTCP takes a listener the caller opened on
//     127.0.0.0/8 or ::1; ServeTest listens on 127.0.0.1 for the length of
//     a test.
//
// Nothing here belongs on a production path (internal/archtest checks who
// imports it).
package loopback
