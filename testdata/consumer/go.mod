module example.com/consumer

go 1.25.0

require github.com/commet-go/commet v0.0.0-00010101000000-000000000000

require github.com/google/go-querystring v1.2.0 // indirect

replace github.com/commet-go/commet => ../..
