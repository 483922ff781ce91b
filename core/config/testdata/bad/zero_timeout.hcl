target "web" {
  host    = "www.probe.test"
  timeout = "0s"
}
