plugin "counter" {
  path = "./probe-plugin-counter"
  config {
    retries = "2.5"
  }
}
