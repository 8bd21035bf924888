package textutil

import "testing"

func TestCountsFoldCase(t *testing.T) {
	c := Counts("The cat, the hat.")
	if c["the"] != 2 || c["cat"] != 1 || c["hat"] != 1 {
		t.Fatalf("unexpected counts %v", c)
	}
}
