package overlay

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Limits of what the overlay server reads from disk.
const (
	MaxOverlayFile = 1 << 20  // one HTML, CSS or JS file of an overlay folder
	MaxOverlayJS   = 16       // CSS or JS files inlined into one page
	MaxMediaFile   = 16 << 20 // one image or sound of media/
	maxMediaName   = 200
)

// ValidName reports whether name can be an overlay's name (its folder under
// overlays/): 1-64 of a-z, A-Z, 0-9, '_' and '-', not starting with '-'.
func ValidName(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// mediaTypes are the only kinds of file served from media/, by extension.
var mediaTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".svg": "image/svg+xml",
	".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".wav": "audio/wav",
}

// CheckMediaName validates a media file name as a script or a request gives
// it: a relative slash-separated path inside media/ ("follow.png",
// "cheer/tier2.gif") whose parts are made of letters, digits, space, '_', '-'
// and '.', none starting with '.' (so no "..", no hidden files), with a known
// image or sound extension. It returns the content type.
func CheckMediaName(name string) (string, error) {
	if name == "" {
		return "", errors.New("media name is empty")
	}
	if len(name) > maxMediaName {
		return "", fmt.Errorf("media name is %d bytes long, at most %d", len(name), maxMediaName)
	}
	parts := strings.Split(name, "/")
	if len(parts) > 4 {
		return "", fmt.Errorf("media name %q is nested more than 4 folders deep", name)
	}
	for _, p := range parts {
		if p == "" || p[0] == '.' || p[0] == ' ' || p[len(p)-1] == ' ' {
			return "", fmt.Errorf("media name %q: each part must be a plain file or folder name inside media/ (no leading '.', '/', spaces or '..')", name)
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ' ') {
				return "", fmt.Errorf("media name %q has %q: use letters, digits, space, '_', '-' and '.'", name, c)
			}
		}
	}
	ct, ok := mediaTypes[strings.ToLower(path.Ext(name))]
	if !ok {
		return "", fmt.Errorf("media name %q: only .png .jpg .jpeg .gif .webp .svg images and .mp3 .ogg .wav sounds are served", name)
	}
	return ct, nil
}

// sniffMedia checks that the first bytes of a media file match its type, so a
// file renamed to .png is not served as an image.
func sniffMedia(ct string, head []byte) bool {
	has := func(off int, magic string) bool {
		return len(head) >= off+len(magic) && string(head[off:off+len(magic)]) == magic
	}
	switch ct {
	case "image/png":
		return has(0, "\x89PNG\r\n\x1a\n")
	case "image/jpeg":
		return has(0, "\xff\xd8\xff")
	case "image/gif":
		return has(0, "GIF87a") || has(0, "GIF89a")
	case "image/webp":
		return has(0, "RIFF") && has(8, "WEBP")
	case "audio/wav":
		return has(0, "RIFF") && has(8, "WAVE")
	case "audio/ogg":
		return has(0, "OggS")
	case "audio/mpeg":
		return has(0, "ID3") || len(head) >= 2 && head[0] == 0xff && head[1]&0xe0 == 0xe0
	case "image/svg+xml":
		s := strings.TrimSpace(strings.TrimPrefix(string(head), "\xef\xbb\xbf"))
		return strings.HasPrefix(s, "<svg") || strings.HasPrefix(s, "<?xml")
	}
	return false
}

// openRegular opens name under root only if it is a regular file of at most
// max bytes. root (an os.Root) refuses names that leave it, also through
// symbolic links; a symbolic link itself, a folder, a FIFO or a device is
// refused here, and the checks are made on the opened file, not on the name.
func openRegular(root *os.Root, name string, max int64) (*os.File, fs.FileInfo, error) {
	li, err := root.Lstat(name)
	if err != nil {
		return nil, nil, err
	}
	if !li.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a regular file", name)
	}
	f, err := root.OpenFile(name, os.O_RDONLY|syscallNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() || !os.SameFile(li, fi) {
		f.Close()
		return nil, nil, fmt.Errorf("%s is not a regular file", name)
	}
	if fi.Size() > max {
		f.Close()
		return nil, nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", name, fi.Size(), max)
	}
	return f, fi, nil
}

// readRegular reads a whole regular file under root (see openRegular).
func readRegular(root *os.Root, name string, max int64) ([]byte, error) {
	f, _, err := openRegular(root, name, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s grew past %d bytes while read", name, max)
	}
	return b, nil
}
