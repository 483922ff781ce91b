# A targets file for `probe serve`, on the loopback testbed (examples/testbed).
# One `probe serve` per vantage point runs this file; Prometheus scrapes them
# all (prometheus.yml), records p50/p99 per phase (rules.yml) and alerts
# (alerts.yml).
#
#   make build
#   bin/probe-testbed -- bin/probe serve examples/prometheus/probe.hcl
#   curl -s localhost:9716/metrics | grep ^probe_
#
# probe-testbed passes its servers' addresses as PROBE_VAR_<name>.

variable "dns_server" {
  description = "The testbed DNS server, as 127.0.0.1:PORT."
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
  description = "PEM file of the testbed's throwaway CA."
}

variable "interval" {
  default     = "5s"
  description = "How often each target is probed."
}

# Each target every run.interval, at most 8 probes at once.
run {
  interval    = var.interval
  concurrency = 8
}

# web and secure are also probed warm (mode="warm"): connection reuse, TLS
# resumption, DNS cache. The difference from mode="cold" is what
# preconnecting saves.
serve {
  warm = ["web", "secure"]
}

plugin "dns" {
  config {
    servers = [var.dns_server]
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

# Not in the testbed's zone: always down (probe_success 0, kind nxdomain).
target "missing" {
  host     = "missing.probe.test"
  port     = var.http_port
  protocol = "http"
}
