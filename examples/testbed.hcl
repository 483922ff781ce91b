# Demo targets for the loopback testbed (examples/testbed).
#
# Run it with the testbed supplying the variables (`make demo` does both):
#
#   make build
#   bin/probe-testbed -- bin/probe run examples/testbed.hcl
#
# probe-testbed starts a DNS server for the zone probe.test, an HTTP server,
# an HTTPS server (certificate from a throwaway CA) and a TCP echo server, all
# on 127.0.0.1, and passes their addresses to the command it runs as
# PROBE_VAR_<name> environment variables. Nothing here leaves the machine.

# Variables: values come from PROBE_VAR_<name> (probe-testbed sets them all).
variable "dns_server" {
  description = "The testbed DNS server, as 127.0.0.1:PORT (UDP and TCP)."
}

variable "http_port" {
  description = "Port of the testbed's plain HTTP server on 127.0.0.1."
}

variable "https_port" {
  description = "Port of the testbed's HTTPS server on 127.0.0.1."
}

variable "tcp_port" {
  description = "Port of the testbed's TCP echo server on 127.0.0.1."
}

variable "ca_file" {
  description = "PEM file of the throwaway CA that signed the HTTPS server's certificate."
}

# Probe every target five times; the summary shows each phase's spread.
run {
  count = 5
}

# Resolve through the testbed's DNS server only, never the system resolver.
plugin "dns" {
  config {
    servers   = [var.dns_server]
    transport = "udp"
  }
}

# Trust the testbed CA, so secure.probe.test verifies like a real site.
plugin "tls" {
  config {
    ca_file = var.ca_file
  }
}

# Plain HTTP: dns -> tcp -> http (HEAD).
target "web" {
  host     = "www.probe.test"
  port     = var.http_port
  protocol = "http"
}

# HTTPS: dns -> tcp -> tls -> http, all over one connection.
target "secure" {
  host     = "secure.probe.test"
  port     = var.https_port
  protocol = "https"
}

# Raw TCP to an IP literal: no DNS phase, just the connect.
target "raw" {
  host     = "127.0.0.1"
  port     = var.tcp_port
  protocol = "tcp"
}
