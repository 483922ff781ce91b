target "web" {
  host   = "www.probe.test"
  colour = "red"
}
