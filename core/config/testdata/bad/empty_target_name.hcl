target "" {
  host = "www.probe.test"
}
