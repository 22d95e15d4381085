package stdlib

import (
	"embed"
	"strings"
)

//go:embed lua/*.lua
var files embed.FS

// Source returns the Lua source of standard library module name ("strings",
// "json", ...), for the sandbox's require. Names are plain words: anything with
// a path separator or a dot is not a library.
func Source(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	b, err := files.ReadFile("lua/" + name + ".lua")
	if err != nil {
		return nil, false
	}
	return b, true
}

// Names lists the libraries.
func Names() []string {
	entries, _ := files.ReadDir("lua")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".lua"))
	}
	return out
}
