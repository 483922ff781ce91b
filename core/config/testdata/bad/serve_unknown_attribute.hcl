serve {
  listen = ":9090"
}
