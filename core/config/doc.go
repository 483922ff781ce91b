// Package config loads probe's targets file: which hosts to probe, how, how
// often, and which plugins serve each phase.
//
// The file is HCL (native syntax, or JSON when the name ends in ".json"):
//
//	variable "dns_server" { default = "127.0.0.1:53" }
//
//	run      { count = 5  interval = "200ms" }   # optional, at most one
//	defaults { timeout = "5s" protocol = "https" } # optional, at most one
//
//	plugin "dns" {                       # replace a built-in or declare a phase
//	  path = "./bin/probe-plugin-statichosts"
//	  config { servers = [var.dns_server] }
//	}
//
//	target "web" {
//	  host     = "www.probe.test"
//	  protocol = "http"                    # tcp | tls | http | https
//	  phases   = ["dns", "tcp", "http"]    # optional explicit chain
//	}
//
// Expressions may use var.NAME, env("NAME") and the functions upper, lower,
// format, join and concat. A variable's value comes from LoadOptions.Vars,
// else the environment variable PROBE_VAR_<name>, else its default.
//
// Loading checks everything that can be checked without starting a plugin;
// each problem is an hcl.Diagnostic pointing at the offending attribute or
// block. A plugin's config block is type-checked later, once its schema is
// known, with DecodePluginConfig. REFERENCE.md in this directory describes
// every block and attribute.
package config
