variable "http_port" {
  default = 80
}

target "web" {
  host = "www.probe.test"
  port = var.http_port
}
