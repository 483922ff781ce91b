variable "domain" {
  default = "probe.test"
}

target "web" {
  host = "www.${var.domian}"
}
