plugin "dns" {
  path    = "./bin/dns"
  builtin = "dns"
}
