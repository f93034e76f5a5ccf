package main

import (
	"fmt"
	"strings"
	"time"
)

// report is the benchmark's Markdown output.
type report struct {
	dialect       string
	conversations int
	messages      int
	concurrency   int
	duration      time.Duration
	warmup        time.Duration
	gomaxprocs    int
	numCPU        int
	results       []result
	notes         []string
}

func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Database %s, %d conversations, %d messages; concurrency %d, %s per scenario after %s warmup; GOMAXPROCS %d, NumCPU %d.\n\n",
		r.dialect, r.conversations, r.messages, r.concurrency, r.duration, r.warmup, r.gomaxprocs, r.numCPU)
	b.WriteString("| scenario | requests/s | p50 ms | p99 ms | SQL statements/request | server peak RSS MiB |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, res := range r.results {
		fmt.Fprintf(&b, "| %s | %.1f | %s | %s | %.1f | %s |\n",
			res.name, res.throughput(), millis(res.p50), millis(res.p99), res.sqlPerReq, mebibytes(res.peakRSS))
	}
	if len(r.notes) > 0 {
		b.WriteString("\n")
		for _, n := range r.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond))
}

func mebibytes(bytes int64) string {
	if bytes < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", float64(bytes)/(1<<20))
}
