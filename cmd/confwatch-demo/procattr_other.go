//go:build !linux

package main

import "syscall"

// childAttr puts nginx in a process group of its own (a Ctrl-C meant for the
// demo does not reach it: the demo stops it).
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
