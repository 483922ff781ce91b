plugin "dns" {
  env      = { HTTPS_PROXY = "http://127.0.0.1:3128" }
  pass_env = ["HTTPS_PROXY", "PROBE_LOG", "NO_PROXY", "NO_PROXY", "2FA"]
}
