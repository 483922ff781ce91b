# Locked-down network, recipe 2: only HTTPS leaves the network (no port 53,
# no 853). Ask an internal DNS-over-HTTPS resolver (DoH, RFC 8484) on 443.
#
# Try it against a testbed whose DNS server drops every UDP query:
#
#   make build
#   bin/probe-testbed --dns-no-udp -- bin/probe run examples/lockdown-doh.hcl
#
# docs/locked-down-networks.md explains this recipe and the other two.

variable "doh_url" {
  description = "The DoH endpoint (the testbed's: https://dns.probe.test:PORT/dns-query)."
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
    # An https URL, POSTed to (application/dns-message).
    servers   = [var.doh_url]
    transport = "doh"

    # The addresses to dial for the URL's host. Without bootstrap, the
    # plugin would look the DoH host name up with the system resolver: on
    # this network that is the DNS that does not work. The URL's port, Host
    # header and certificate check still use the name. Here the testbed's
    # DoH server listens on 127.0.0.1.
    bootstrap = ["127.0.0.1"]

    # The private CA that signed the internal resolver's certificate.
    ca_file = var.ca_file
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
