module github.com/weakscope/weakscope/bench

go 1.26.0

require (
	github.com/hashicorp/golang-lru/v2 v2.0.7
	github.com/maypok86/otter/v2 v2.4.0
	github.com/weakscope/weakscope v0.0.0
)

replace github.com/weakscope/weakscope => ../
