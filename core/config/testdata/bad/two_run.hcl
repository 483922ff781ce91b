run {
  count = 2
}

run {
  count = 3
}
