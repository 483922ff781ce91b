target "web" {
  port = 80
}
