plugin "dns" {
  env = { "HTTPS PROXY" = "http://127.0.0.1:3128", PLUGIN_MIN_PORT = "1" }
}
