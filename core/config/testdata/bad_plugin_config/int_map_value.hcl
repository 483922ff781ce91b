plugin "counter" {
  path = "./probe-plugin-counter"
  config {
    limits = {
      conns = 10
      "per host" = 0.25
    }
  }
}
