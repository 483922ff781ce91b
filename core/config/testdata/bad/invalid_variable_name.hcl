variable "dns server" {
  default = "127.0.0.1:53"
}
