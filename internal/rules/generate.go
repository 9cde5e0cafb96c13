package rules

//go:generate go run gen_zones.go
