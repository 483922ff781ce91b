serve {
  native_bucket_factor = 1
}
