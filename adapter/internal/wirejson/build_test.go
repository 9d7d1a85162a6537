package wirejson_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Review 14b: the go1.27 build tag selects encoding/json/v2, which exists
// only under GOEXPERIMENT=jsonv2 (on by default in go1.27, but a user may
// turn it off); the package must build either way, as it did before.
func TestReview14bBuildsWithoutTheJSONv2Experiment(t *testing.T) {
	cmd := exec.Command("go", "build", ".")
	cmd.Env = append(os.Environ(), "GOEXPERIMENT=nojsonv2")
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "%s", out)
}
