plugin "dns" {
  config {
    servers = [var.dns_server]
  }
}
