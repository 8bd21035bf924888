module example.com/doctor/toolchain

go 1.22

// Newer than the go that builds the tests (GOTOOLCHAIN=local keeps that one): `gotrace doctor`
// reports the mismatch as go-mod-toolchain.
toolchain go1.99.0
