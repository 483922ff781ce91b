plugin "counter" {
  path = "./probe-plugin-counter"
  config {
    retries = -0.5
    ports   = [1.25, 2, 3.75]
  }
}
