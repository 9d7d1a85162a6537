package wirejson_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
)

// encoding/json/v2 exists only under GOEXPERIMENT=jsonv2, on by default
// from go1.27 on but a user may turn it off: the package builds either
// way.
func TestBuildsWithoutTheJSONv2Experiment(t *testing.T) {
	cmd := exec.Command("go", "build", ".")
	cmd.Env = append(os.Environ(), "GOEXPERIMENT=nojsonv2")
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "%s", out)
}
