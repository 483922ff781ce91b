# The testbed targets, resolved by a custom plugin instead of DNS.
#
# The "dns" slot of the chain is filled by statichosts
# (examples/plugins/statichosts), a resolver written against the public SDK
# that answers from a fixed map. No DNS server is asked at all.
#
#   make build    # or: go build -o bin/probe-plugin-statichosts ./examples/plugins/statichosts
#   bin/probe-testbed -- bin/probe run examples/static-hosts.hcl
#
# probe-testbed also exports PROBE_VAR_dns_server; this file does not use it.

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

run {
  count = 5
}

# The block label picks the slot ("dns": the resolve phase); path picks the
# binary that fills it. A relative path is taken from this file's directory.
plugin "dns" {
  path = "../bin/probe-plugin-statichosts"

  config {
    hosts = {
      "www.probe.test"    = ["127.0.0.1"]
      "secure.probe.test" = ["127.0.0.1"]
    }
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

target "raw" {
  host     = "127.0.0.1"
  port     = var.tcp_port
  protocol = "tcp"
}
