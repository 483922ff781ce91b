target "web" {
  host = "www.probe.test"
  port = 70000
}
