target "web" {
  host = "https://www.probe.test"
}
