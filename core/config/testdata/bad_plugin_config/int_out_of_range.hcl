plugin "counter" {
  path = "./probe-plugin-counter"
  config {
    retries = 1e30
  }
}
