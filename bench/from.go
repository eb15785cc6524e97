package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// readResults fills r from the benchmark lines of earlier runs, so that
// the ratio table can be made again, or from several runs at once. A round
// begins at each bare allocation's Put, which every round measures first;
// rounds are numbered on across files.
func (r *recorder) readResults(paths []string) error {
	kinds := map[string]kind{}
	for _, c := range mapCases() {
		kinds[c.name] = c.kind
	}
	for _, c := range setCases() {
		kinds[c.name] = c.kind
	}
	round := -1
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		err = r.readFile(f, kinds, &round)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
	}
	return nil
}

func (r *recorder) readFile(f io.Reader, kinds map[string]kind, round *int) error {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 3 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := fields[0][:strings.LastIndexByte(fields[0], '-')]
		parts := strings.SplitN(strings.TrimPrefix(name, "Benchmark"), "/", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[1], "n=") || !strings.HasPrefix(parts[2], "holder=") {
			return fmt.Errorf("unexpected benchmark name %q", fields[0])
		}
		op, holder := parts[0], strings.TrimPrefix(parts[2], "holder=")
		n, err := parseSize(strings.TrimPrefix(parts[1], "n="))
		if err != nil {
			return err
		}
		vu := strings.Fields(fields[2])
		if len(vu) != 2 {
			return fmt.Errorf("unexpected measurement %q", fields[2])
		}
		v, err := strconv.ParseFloat(vu[0], 64)
		if err != nil {
			return err
		}
		if op == "Put" && holder == "alloc" {
			*round++
		}
		k, ok := kinds[holder]
		if !ok {
			k = limitHolder
		}
		r.size, r.round = n, max(*round, 0)
		r.add(op, holder, k, vu[1], v)
	}
	return sc.Err()
}

func parseSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "M"):
		mult, s = 1_000_000, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "k"):
		mult, s = 1000, strings.TrimSuffix(s, "k")
	}
	n, err := strconv.Atoi(s)
	return n * mult, err
}
