plugin "counter" {
  path = "./probe-plugin-counter"
  config {
    ports = [80, 443.5, 8080]
  }
}
