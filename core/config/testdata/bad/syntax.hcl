target "web" {
  host = "www.probe.test"
