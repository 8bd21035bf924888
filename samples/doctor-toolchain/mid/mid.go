package mid

import "example.com/doctor/toolchain/base"

func Quad(x int) int { return base.Double(base.Double(x)) + base.Stamp - 1 }
