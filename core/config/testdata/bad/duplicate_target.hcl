target "web" {
  host = "www.probe.test"
}

target "web" {
  host = "www2.probe.test"
}
