target "web" {
  host   = "www.probe.test"
  phases = ["dns", "tcp", "dns"]
}
