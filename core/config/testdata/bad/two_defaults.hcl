defaults {
  timeout = "1s"
}
defaults {
  protocol = "http"
}
