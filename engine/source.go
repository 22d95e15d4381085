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
		n := e.Name()
		switch {
		case strings.HasPrefix(n, "."):
		case e.IsDir():
			if ValidModuleName(n) {
				if _, err := os.Stat(path.Join(r.cfg.Dir, n, "init.lua")); err == nil {
					names = append(names, n)
				}
			}
		case strings.HasSuffix(n, ".lua") && !strings.HasSuffix(n, "_test.lua"):
			if name := strings.TrimSuffix(n, ".lua"); ValidModuleName(name) {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return slices.Compact(names), nil
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
