package main

import (
	"context"
	"io"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return usagef("run: not built yet")
}
