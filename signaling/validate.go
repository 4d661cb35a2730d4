package signaling

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const maxNameLen = 64

// validRoom accepts names that are safe in a URL path and in logs.
func validRoom(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// cleanName trims a display name and accepts 1 to 64 printable characters.
func cleanName(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", false
	}
	n := utf8.RuneCountInString(s)
	if n == 0 || n > maxNameLen {
		return "", false
	}
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return "", false
		}
	}
	return s, true
}
