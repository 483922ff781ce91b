# The testbed's targets plus one that cannot work: missing.probe.test is not
# in the testbed's zone. Used to show `probe status` and `probe preconnect`
# reporting a failure next to healthy targets:
#
#   bin/probe-testbed -- bin/probe status examples/mixed.hcl
#   bin/probe-testbed -- bin/probe preconnect examples/mixed.hcl

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

target "missing" {
  host     = "missing.probe.test"
  port     = var.http_port
  protocol = "http"
}
