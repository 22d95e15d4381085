package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
)

// Reading modules from the scripts folder: which modules there are, and the
// Source of one. Nothing here loads or runs anything.

// Limits of what one module may be made of; they keep the compiler (which recurses
// per nesting level) and memory away from a hostile paste.
const (
	MaxModuleFiles = 64
	MaxModuleBytes = 1 << 20
)

// Discover lists the module names under the scripts folder: NAME.lua files
// (not *_test.lua) and NAME/ folders with an init.lua.
func (r *Registry) Discover() ([]string, error) {
	entries, err := os.ReadDir(r.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("read scripts folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		if name, _ := r.classify(e); name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return slices.Compact(names), nil
}

// IgnoredFile is an entry of the scripts folder that is not a module, and why.
type IgnoredFile struct {
	Path   string `json:"path"` // relative to the scripts folder; folders end in "/"
	Reason string `json:"reason"`
	// Suspicious: it looks meant as a module (a .lua file, a folder with .lua
	// files) but cannot be one; these are logged as warnings.
	Suspicious bool `json:"suspicious"`
}

// Ignored lists the entries of the scripts folder that Discover skips, with
// the reason; hidden entries (.git, editor swap files) are left out.
func (r *Registry) Ignored() []IgnoredFile {
	entries, err := os.ReadDir(r.cfg.Dir)
	if err != nil {
		return nil
	}
	var out []IgnoredFile
	for _, e := range entries {
		if name, why := r.classify(e); name == "" && why.Reason != "" {
			out = append(out, why)
		}
	}
	return out
}

// classify says what one entry of the scripts folder is: a module (its
// name), or an ignored file (why; an empty reason for hidden entries).
func (r *Registry) classify(e fs.DirEntry) (string, IgnoredFile) {
	n := e.Name()
	switch {
	case strings.HasPrefix(n, "."):
		return "", IgnoredFile{}
	case e.IsDir():
		hasLua := false
		if files, err := os.ReadDir(path.Join(r.cfg.Dir, n)); err == nil {
			for _, f := range files {
				hasLua = hasLua || strings.HasSuffix(f.Name(), ".lua")
			}
		}
		if !ValidModuleName(n) {
			return "", IgnoredFile{Path: n + "/", Suspicious: hasLua, Reason: badNameReason(n, n)}
		}
		if _, err := os.Stat(path.Join(r.cfg.Dir, n, "init.lua")); err != nil {
			return "", IgnoredFile{Path: n + "/", Suspicious: hasLua, Reason: "a folder without init.lua: a folder module starts at " + n + "/init.lua"}
		}
		return n, IgnoredFile{}
	case strings.HasSuffix(n, "_test.lua"):
		return "", IgnoredFile{Path: n, Reason: "a script test, not a module: run it with `starstreamer test`"}
	case strings.HasSuffix(n, ".lua"):
		name := strings.TrimSuffix(n, ".lua")
		if !ValidModuleName(name) {
			return "", IgnoredFile{Path: n, Suspicious: true, Reason: badNameReason(name, n)}
		}
		return name, IgnoredFile{}
	}
	return "", IgnoredFile{Path: n, Reason: "not a .lua file"}
}

// badNameReason explains why name cannot be a module's name, with a name that can.
func badNameReason(name, file string) string {
	fixed := []byte(name)
	for i, c := range fixed {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			fixed[i] = '_'
		}
	}
	suggestion := strings.TrimLeft(string(fixed), "-")
	if len(suggestion) > 64 {
		suggestion = suggestion[:64]
	}
	why := fmt.Sprintf("%q is not a module name: use 1-64 letters, digits, _ and - (not starting with -)", name)
	if suggestion != "" && ValidModuleName(suggestion) {
		why += "; rename it to " + strings.Replace(file, name, suggestion, 1)
	}
	return why
}

// ReadSource reads module name from the scripts folder. Paths never leave the
// folder: names are validated and files are read through an os.Root, which also
// refuses symbolic links that point outside.
func (r *Registry) ReadSource(name string) (Source, error) {
	if !ValidModuleName(name) {
		return Source{}, fmt.Errorf("%q is not a valid module name (letters, digits, _ and -)", name)
	}
	root, err := os.OpenRoot(r.cfg.Dir)
	if err != nil {
		return Source{}, fmt.Errorf("open scripts folder: %w", err)
	}
	defer root.Close()
	file := name + ".lua"
	_, fileErr := root.Stat(file)
	dirInfo, dirErr := root.Stat(name)
	isDir := dirErr == nil && dirInfo.IsDir()
	switch {
	case fileErr == nil && isDir:
		return Source{}, fmt.Errorf("module %s: both %s and %s/ exist; remove one", name, file, name)
	case fileErr == nil:
		code, err := ReadScriptFile(root, file, MaxModuleBytes)
		if err != nil {
			return Source{}, fmt.Errorf("module %s: %w", name, err)
		}
		sum := sha256.Sum256(code)
		return Source{Name: name, File: path.Join(r.cfg.Dir, file), Code: code, Hash: hex.EncodeToString(sum[:])}, nil
	case isDir:
		return r.readFolder(root, name)
	}
	return Source{}, fmt.Errorf("module %s: %w: neither %s nor %s/init.lua exists", name, fs.ErrNotExist, file, name)
}

func (r *Registry) readFolder(root *os.Root, name string) (Source, error) {
	src := Source{Name: name, Dir: path.Join(r.cfg.Dir, name), File: path.Join(r.cfg.Dir, name, "init.lua"), Files: map[string][]byte{}}
	h := sha256.New()
	total := 0
	err := fs.WalkDir(root.FS(), name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := d.Name()
		if d.IsDir() {
			if p != name && strings.HasPrefix(base, ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(base, ".lua") || strings.HasPrefix(base, ".") || strings.HasSuffix(base, "_test.lua") {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		if len(src.Files) >= MaxModuleFiles {
			return fmt.Errorf("more than %d .lua files", MaxModuleFiles)
		}
		if total >= MaxModuleBytes {
			return fmt.Errorf("files add up to more than %d bytes", MaxModuleBytes)
		}
		data, err := ReadScriptFile(root, p, MaxModuleBytes-total)
		if err != nil {
			return fmt.Errorf("%w (the files of a module may add up to %d bytes)", err, MaxModuleBytes)
		}
		total += len(data)
		rel := strings.TrimPrefix(p, name+"/")
		h.Write([]byte(rel))
		h.Write([]byte{0})
		h.Write(data)
		h.Write([]byte{0})
		if rel == "init.lua" {
			src.Code = data
		} else {
			src.Files[rel] = data
		}
		return nil
	})
	if err != nil {
		return Source{}, fmt.Errorf("module %s: %w", name, err)
	}
	if src.Code == nil {
		return Source{}, fmt.Errorf("module %s: %w: %s/init.lua", name, fs.ErrNotExist, name)
	}
	src.Hash = hex.EncodeToString(h.Sum(nil))
	return src, nil
}
