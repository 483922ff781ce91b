plugin "mycheck" {
  builtin = "ftp"
}
