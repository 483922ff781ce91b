defaults {
  phases = ["dns", "tcp", "ping"]
}
