package bindings

import (
	"bytes"
	"context"
	"io"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

type moduleKey struct{}

// withModule tags ctx with the name of the module a platform call is made for
// (the offline chat sink shows it).
func withModule(ctx context.Context, module string) context.Context {
	return context.WithValue(ctx, moduleKey{}, module)
}

// ModuleFrom returns the module name withModule put in ctx.
func ModuleFrom(ctx context.Context) string {
	s, _ := ctx.Value(moduleKey{}).(string)
	return s
}
