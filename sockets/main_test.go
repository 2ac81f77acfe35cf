package sockets

import "runtime"

// The main goroutine keeps the main thread for itself, so that no
// netlab.Host.Do ever runs on it: a thread Do leaves in a namespace is
// discarded, but the main thread cannot be, and a process whose main
// thread stayed in a lab's namespace is killed with the lab.
func init() { runtime.LockOSThread() }
