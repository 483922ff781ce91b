plugin "dns" {
  config {
    servers = ["127.0.0.1:53"]
  }
  config {
    servers = ["[::1]:53"]
  }
}
