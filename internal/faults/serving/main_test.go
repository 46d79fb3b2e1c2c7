package serving

import (
	"os"
	"testing"
)

// pluginEnv makes the test binary act as the plugin (the re-exec helper
// process pattern).
const pluginEnv = "HOSTCALL_FAULTS_SERVING_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(pluginEnv) == "1" {
		os.Exit(pluginMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}
