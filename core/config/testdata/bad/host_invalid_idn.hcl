target "books" {
  host = "a\u200db.probe.test"
}
