package clilayer

import (
	"io"
	"os"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestTheDeepestSettingWins: a flag given after the command name beats the
// same flag before it; the root's environment variable is read once there.
func TestTheDeepestSettingWins(t *testing.T) {
	flags := func() []cli.Flag {
		return []cli.Flag{&cli.StringFlag{Name: "dir", Aliases: []string{"d"}, EnvVars: []string{"CLILAYER_TEST_DIR"}}}
	}
	for _, tt := range []struct {
		name, env string
		args      []string
		want      string // "" when set nowhere
		levels    int    // contexts RootFirst returns
	}{
		{"command wins", "", []string{"app", "--dir", "/a", "cmd", "--dir", "/b"}, "/b", 2},
		{"root only", "", []string{"app", "-d", "/a", "cmd"}, "/a", 2},
		{"environment at the root, flag on the command", "/env", []string{"app", "cmd", "--dir", "/b"}, "/b", 2},
		{"environment only", "/env", []string{"app", "cmd"}, "/env", 2},
		{"nowhere", "", []string{"app", "cmd"}, "", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CLILAYER_TEST_DIR", tt.env)
			var got string
			var set bool
			var levels int
			app := &cli.App{Name: "app", Writer: io.Discard, ErrWriter: io.Discard, Flags: flags(),
				Commands: []*cli.Command{{Name: "cmd", Flags: WithoutEnv(flags()), Action: func(c *cli.Context) error {
					set = SetAnywhere(c, []string{"dir", "d"})
					if ctx := Deepest(c, []string{"dir", "d"}); ctx != nil {
						got = ctx.String("dir")
					}
					levels = len(RootFirst(c))
					return nil
				}}}}
			if tt.env == "" {
				must(t, os.Unsetenv("CLILAYER_TEST_DIR")) // t.Setenv restores it
			}
			if err := app.Run(tt.args); err != nil {
				t.Fatal(err)
			}
			if got != tt.want || set != (tt.want != "") || levels != tt.levels {
				t.Errorf("deepest %q, set %v, %d levels; want %q, %v, %d", got, set, levels, tt.want, tt.want != "", tt.levels)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
