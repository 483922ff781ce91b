run {
  count = 0
}
