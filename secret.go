package commet

// apiKey holds the API key where nothing prints it. The key lives only in
// a closure: fmt, encoding/json and reflection-based printers (testify's
// diffs, go-spew) see a func value, never the string it captured.
type apiKey struct {
	value func() string
}

func newAPIKey(key string) apiKey { return apiKey{value: func() string { return key }} }
