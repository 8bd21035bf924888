// Package textutil splits and counts words.
package textutil

import (
	"strings"
	"unicode"
)

// Words splits s on anything that is not a letter or digit.
func Words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Counts counts each word, case-folded.
func Counts(s string) map[string]int {
	m := map[string]int{}
	for _, w := range Words(s) {
		m[strings.ToLower(w)]++
	}
	return m
}
