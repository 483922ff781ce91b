# Every feature of the targets file. config_test.go asserts what it decodes to.

variable "dns_server" {
  default     = "127.0.0.1:53"
  description = "resolver to use"
}

variable "http_port" {
  default = 80 # a number: PROBE_VAR_http_port=8080 becomes 8080
}

variable "domain" {
  default = "probe.test"
}

variable "strict" {
  default = true
}

run {
  count       = 5
  interval    = "200ms"
  sequential  = true
  concurrency = 8
}

defaults {
  timeout  = "3s"
  protocol = "http"
}

plugin "dns" {
  path = "./bin/probe-plugin-statichosts"
  args = ["--flag", lower("--LEVEL=${upper("debug")}")]
  # the executable's digest (sha256sum), any case; its environment
  sha256   = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
  env      = { HTTPS_PROXY = "http://127.0.0.1:3128", "LOG_TO" = var.domain }
  pass_env = ["SSL_CERT_FILE"]
  config {
    servers = [var.dns_server]
    hosts   = { "www.probe.test" = ["127.0.0.1", "::1"] }
  }
}

plugin "tls" {
  config {
    verify = var.strict
  }
}

plugin "mycheck" {
  builtin = "http"
}

target "web" {
  host   = "www.${var.domain}"
  port   = var.http_port
  phases = concat(["dns", "tcp"], ["http", "mycheck"])
}

target "secure" {
  host     = format("%s.%s", "secure", var.domain)
  protocol = "https"
  timeout  = "2s"
}

target "db" {
  host     = "127.0.0.1"
  protocol = "tcp"
  port     = 5432
}

target "tls-only" {
  host     = "::1"
  protocol = "tls"
  phases   = ["tcp", "tls"]
}

target "from-env" {
  host = join(".", [env("PROBE_TEST_HOST"), "probe.test"])
}
