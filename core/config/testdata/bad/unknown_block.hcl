probe "web" {
  host = "www.probe.test"
}
