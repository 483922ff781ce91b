variable "domain" {
  default = "probe.test"
}

variable "domain" {
  default = "example.test"
}
