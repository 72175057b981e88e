package main

import "syscall"

// childAttr puts nginx in a process group of its own (a Ctrl-C meant for the
// demo does not reach it: the demo stops it) and has the kernel send it
// SIGTERM should the demo die without stopping it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
