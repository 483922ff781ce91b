target "web" {
  host    = "www.probe.test"
  timeout = "2 seconds"
}
