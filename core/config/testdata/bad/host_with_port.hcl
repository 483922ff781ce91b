target "web" {
  host = "www.probe.test:8080"
}
