package register

import "fmt"

// report records the registration state: a STATUS= line and a log line when
// it or its reason changed, OnChange when registered flipped, and READY=1
// on the first registration.
func (r *runner) report(registered bool, reason string) {
	if r.reported && registered == r.registered && reason == r.reason {
		return
	}
	flipped := registered != r.registered
	r.reported, r.registered, r.reason = true, registered, reason
	status := "unregistered: " + reason
	if registered {
		status = fmt.Sprintf("registered %s (%s)", r.o.Key, reason)
		r.log.Info("registered", "lease", hex(r.lease), "ttl", r.ttl)
	} else if flipped {
		r.log.Info("unregistered", "reason", reason)
	}
	if r.o.Notify != nil {
		if err := r.o.Notify.Status(status); err != nil {
			r.log.Warn("sd_notify", "err", err)
		}
	}
	if flipped && r.o.OnChange != nil {
		r.o.OnChange(registered, reason)
	}
	if registered {
		r.ready()
	}
}

// ready sends READY=1 once.
func (r *runner) ready() {
	if r.readySent {
		return
	}
	r.readySent = true
	if r.o.Notify == nil {
		return
	}
	if err := r.o.Notify.Ready(); err != nil {
		r.log.Warn("sd_notify", "err", err)
	}
}
