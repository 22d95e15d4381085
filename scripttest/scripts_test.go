package scripttest

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestScripts runs every *_test.lua under scripts/, one subtest per file.
func TestScripts(t *testing.T) {
	files, err := Files(filepath.Join("..", "scripts"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no script tests found under ../scripts")
	}
	for _, f := range files {
		t.Run(filepath.ToSlash(f), func(t *testing.T) {
			t.Parallel()
			res := RunFile(f, nil)
			var out bytes.Buffer
			res.Report(&out)
			if res.Failed() > 0 {
				t.Errorf("script tests failed:\n%s", out.String())
			} else {
				t.Log(out.String())
			}
		})
	}
}
