target "web" {
  host     = "www.probe.test"
  protocol = "ftp"
}
