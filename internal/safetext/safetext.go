// Package safetext makes text that came from outside probe — host names
// from files, flags and the environment, DNS answer names, certificate
// fields, HTTP headers, plugin messages and log lines — safe to show on a
// terminal or in a log line, and keeps it short enough to read.
//
// A terminal acts on control characters: ESC starts sequences that retitle
// the window (OSC 0), rewrite the clipboard (OSC 52), move the cursor or
// hide text; a newline forges a line of output. So every rune that is not
// printable is written as an escape instead: "\n", "\r" and "\t" for those
// three, "\u00XX" or "\uXXXX" for every other control or format character
// (C0, DEL, C1 — a one-byte CSI is U+009B — line and paragraph separators,
// bidirectional overrides), and "\xNN" for each byte that is not valid
// UTF-8. Printable Unicode (letters, marks, numbers, punctuation, symbols,
// the ASCII space) is kept, so "bücher.example" stays readable. The rule of
// what is printable is strconv.IsPrint's, as in strconv.Quote; unlike
// strconv.Quote, nothing is added around the text and a backslash is kept
// as it is. The \u form is also a JSON string escape for the same
// character, so JSON that passes through a Writer stays valid and means the
// same.
//
// JSON output keeps values exact: only text meant for people is escaped.
package safetext

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxValue is how many characters of one value Shorten keeps by default in
// a message: enough for any real host name (253 bytes, RFC 1035 §2.3.4).
const MaxValue = 256

// Escape returns s with every character that is not printable written as
// an escape (see the package doc). Newlines and tabs are escaped too: the
// result is always one line.
func Escape(s string) string {
	if isSafe(s, false) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	appendEscaped(&b, s, false)
	return b.String()
}

// EscapeLines is Escape for text of several lines written by probe itself
// around values from outside (a diagnostic, an error message): newlines
// and tabs are kept, everything else is escaped as Escape does.
func EscapeLines(s string) string {
	if isSafe(s, true) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	appendEscaped(&b, s, true)
	return b.String()
}

// isSafe reports whether s needs no escaping.
func isSafe(s string, keepLines bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !printable(r, keepLines) {
			return false
		}
	}
	return true
}

func printable(r rune, keepLines bool) bool {
	if r < utf8.RuneSelf {
		return (r >= 0x20 && r < 0x7f) || (keepLines && (r == '\n' || r == '\t'))
	}
	return strconv.IsPrint(r)
}

// appendEscaped writes s to b, escaping what is not printable.
func appendEscaped(b *strings.Builder, s string, keepLines bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(b, `\x%02x`, s[i])
		case printable(r, keepLines):
			b.WriteString(s[i : i+size])
		default:
			writeRuneEscape(b, r)
		}
		i += size
	}
}

func writeRuneEscape(b *strings.Builder, r rune) {
	switch r {
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	case '\t':
		b.WriteString(`\t`)
	default:
		if r > 0xffff {
			// Outside the BMP, as a JSON surrogate pair.
			r1, r2 := surrogates(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			return
		}
		fmt.Fprintf(b, `\u%04x`, r)
	}
}

func surrogates(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// Shorten returns s when it has at most max characters; otherwise its
// first and last characters, max in all, around a note of how many bytes
// were left out: "aaaa…(1048320 bytes left out)…aaaa". It does not escape:
// call Escape or Quote on the result.
func Shorten(s string, max int) string {
	if max < 2 {
		max = 2
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	head := prefixRunes(s, max/2)
	tail := suffixRunes(s, max-max/2)
	cut := len(s) - len(head) - len(tail)
	return fmt.Sprintf("%s…(%d bytes left out)…%s", head, cut, tail)
}

func prefixRunes(s string, n int) string {
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

func suffixRunes(s string, n int) string {
	i := len(s)
	for range n {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return s[i:]
}

// Quote returns s shortened to MaxValue characters and quoted as
// strconv.Quote does: the way to name a value from outside in a message
// ("host %s", safetext.Quote(host)).
func Quote(s string) string {
	return strconv.Quote(Shorten(s, MaxValue))
}
