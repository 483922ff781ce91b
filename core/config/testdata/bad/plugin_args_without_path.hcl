plugin "dns" {
  args = ["--verbose"]
}
