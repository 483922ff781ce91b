defaults {
  timeout = "-1s"
}
