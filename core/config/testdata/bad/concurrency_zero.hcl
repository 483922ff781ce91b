run {
  concurrency = 0
}
