serve {
  buckets        = []
  timeout_offset = "-1s"
}
