run {
  interval = "-200ms"
}
