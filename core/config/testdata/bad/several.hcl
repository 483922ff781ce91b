run {
  count = 0
}

target "web" {
  host     = "https://www.probe.test"
  protocol = "gopher"
  timeout  = "soon"
}

target "web" {
  host = "www.probe.test"
}
