// Package bad does not compile: the go command must report the same errors with and without gotrace.
package bad

import "example.com/broken/ok"

func Broken() string {
	return ok.Answer() // want a string
}
