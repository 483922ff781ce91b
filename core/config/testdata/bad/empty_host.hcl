target "web" {
  host = ""
}
