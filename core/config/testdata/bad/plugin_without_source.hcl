plugin "mycheck" {
  config {
    expect = 200
  }
}
