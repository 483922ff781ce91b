plugin "dns" {
  env = ["HTTPS_PROXY=http://127.0.0.1:3128"]
}
