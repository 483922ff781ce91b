plugin "dns" {
  builtin = "dns"
}

plugin "dns" {
  path = "./bin/dns"
}
