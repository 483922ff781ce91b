target "web" {
  host   = "www.probe.test"
  port   = 80
  phases = ["tcp", "http"]
}
