serve {
  warm = ["web", "api"]
}

target "web" {
  host = "www.probe.test"
}
