run {
  count = "five"
}
