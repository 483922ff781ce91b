plugin "dns" {
  path = ""
}
