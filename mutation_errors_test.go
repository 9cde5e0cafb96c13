package commet

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A field refused without a message is listed by name alone.
func TestValidationErrorFieldWithoutMessage(t *testing.T) {
	e := &ValidationError{Fields: map[string][]string{"a": nil, "b": {}, "c": {"is bad"}}}
	assert.Equal(t, "commet: invalid request: a; b; c is bad", e.Error())
}
