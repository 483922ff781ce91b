# Locked-down network, recipe 1b: UDP port 53 is blocked, and plain DNS is
# not wanted on the wire either. Ask the resolver over TLS (DoT, RFC 7858),
# usually on TCP port 853.
#
# Try it against a testbed whose DNS server drops every UDP query:
#
#   make build
#   bin/probe-testbed --dns-no-udp -- bin/probe run examples/lockdown-dot.hcl
#
# docs/locked-down-networks.md explains this recipe and the other two.

variable "dot_server" {
  description = "The DoT resolver, as IP:PORT (the testbed's DoT server on 127.0.0.1)."
}

variable "http_port" {
  description = "Port of the testbed's plain HTTP server on 127.0.0.1."
}

variable "https_port" {
  description = "Port of the testbed's HTTPS server on 127.0.0.1."
}

variable "ca_file" {
  description = "PEM file of the throwaway CA that signed the testbed's certificates."
}

run {
  count = 5
}

plugin "dns" {
  config {
    # DoT servers are IP addresses (port 853 when none is given), so the
    # resolver's name needs no lookup of its own.
    servers   = [var.dot_server]
    transport = "dot"

    # An internal resolver's certificate usually comes from a private CA:
    # trust it explicitly, or the handshake fails (kind "dns").
    ca_file = var.ca_file

    # The name the certificate is checked against, and sent as SNI. Without
    # it the server's IP is checked, which few certificates cover.
    tls_server_name = "dns.probe.test"
  }
}

plugin "tls" {
  config {
    ca_file = var.ca_file
  }
}

target "web" {
  host     = "www.probe.test"
  port     = var.http_port
  protocol = "http"
}

target "secure" {
  host     = "secure.probe.test"
  port     = var.https_port
  protocol = "https"
}
