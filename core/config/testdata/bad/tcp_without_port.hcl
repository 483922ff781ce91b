target "db" {
  host     = "db.probe.test"
  protocol = "tcp"
}
