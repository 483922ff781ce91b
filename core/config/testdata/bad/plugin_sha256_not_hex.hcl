plugin "dns" {
  path   = "./bin/probe-plugin-statichosts"
  sha256 = "not-a-digest"
}
