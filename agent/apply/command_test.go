package apply

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// recordRunner records the command and timeout it is given and answers
// with out and err.
type recordRunner struct {
	cmd     string
	timeout time.Duration
	out     []byte
	err     error
}

func (r *recordRunner) Run(_ context.Context, cmd string, timeout time.Duration) ([]byte, error) {
	r.cmd, r.timeout = cmd, timeout
	return r.out, r.err
}

func TestCmdReloader(t *testing.T) {
	tests := []struct {
		name    string
		run     recordRunner
		wantErr string // "" : success
	}{
		{"success", recordRunner{}, ""},
		{"failure carries the output", recordRunner{out: []byte("  bad config\n"), err: ErrCommand}, "command failed: bad config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := tt.run
			c := &CmdReloader{Cmd: "reload {{.src}} {{.dest}}", Dest: "/etc/x.conf", Timeout: 7 * time.Second, Run: &run}
			err := c.Reload(context.Background())
			if run.cmd != "reload /etc/x.conf /etc/x.conf" || run.timeout != 7*time.Second {
				t.Fatalf("ran %q with timeout %s", run.cmd, run.timeout)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (!errors.Is(err, ErrCommand) || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Reload: %v, want %q", err, tt.wantErr)
			}
		})
	}
	if s := (&CmdReloader{Cmd: "systemctl reload nginx"}).String(); s != `reload_cmd "systemctl reload nginx"` {
		t.Fatalf("String = %s", s)
	}
}
