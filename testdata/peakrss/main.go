//go:build unix

// Command peakrss runs a program and writes its peak resident memory, as
// the kernel reports it (getrusage's ru_maxrss, what /usr/bin/time -v
// calls "Maximum resident set size"), in KiB, to the file given with -o;
// it exits with the program's exit status.
//
//	peakrss -o peak.txt -- migrate -n 100000
//
// BenchmarkPeakRSS runs its programs through it rather than reading the
// ru_maxrss of its own children, because on Linux a child that Go starts
// shares its parent's memory until it execs (vfork), and ru_maxrss keeps
// the peak of that memory across the exec: every child of the benchmark,
// a process of 15 to 20 MB, would peak at that at least. This program is
// a few MB, below any program measured.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

func main() {
	out := flag.String("o", "", "the file to write the peak RSS to, in KiB")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: peakrss -o FILE -- PROGRAM [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(2)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "peakrss: no resource usage on this system")
		os.Exit(2)
	}
	kib := int64(ru.Maxrss) // KiB on linux and the BSDs
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		kib /= 1024 // bytes there
	}
	if err := os.WriteFile(*out, fmt.Appendf(nil, "%d\n", kib), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(2)
	}
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
}
