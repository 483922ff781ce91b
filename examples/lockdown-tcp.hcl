# Locked-down network, recipe 1: UDP port 53 is blocked, TCP to the resolver
# is allowed. Ask the same resolver over TCP (RFC 7766).
#
# Try it against a testbed whose DNS server drops every UDP query:
#
#   make build
#   bin/probe-testbed --dns-no-udp -- bin/probe run examples/lockdown-tcp.hcl
#
# With transport = "udp" the same file fails there (dns: timeout); with
# "tcp" it passes. Nothing else changes: same binary, same servers.
# docs/locked-down-networks.md explains this recipe and the other two.

variable "dns_server" {
  description = "The resolver, as IP:PORT (the testbed's DNS server: TCP always, UDP unless --dns-no-udp)."
}

variable "http_port" {
  description = "Port of the testbed's plain HTTP server on 127.0.0.1."
}

variable "https_port" {
  description = "Port of the testbed's HTTPS server on 127.0.0.1."
}

variable "ca_file" {
  description = "PEM file of the throwaway CA that signed the HTTPS server's certificate."
}

run {
  count = 5
}

plugin "dns" {
  config {
    # Plain DNS, on TCP port 53 (here the testbed's port) instead of UDP.
    # Every query opens its own TCP connection, so the dns phase includes a
    # TCP handshake per query: expect it slower than over UDP.
    servers   = [var.dns_server]
    transport = "tcp"
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
