plugin "dns" {
  config {
    server {
      address = "127.0.0.1:53"
    }
  }
}
