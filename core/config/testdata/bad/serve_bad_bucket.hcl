serve {
  buckets = ["1ms", "ten ms", "0s", "5ms", "2ms"]
}
