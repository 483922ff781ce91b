variable "dns_server" {
  description = "resolver to use"
}

target "web" {
  host = "www.probe.test"
}
