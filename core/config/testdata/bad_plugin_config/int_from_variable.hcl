variable "ports" {
  default = [80, 8.5]
}

plugin "counter" {
  path = "./probe-plugin-counter"
  config {
    ports = var.ports
  }
}
