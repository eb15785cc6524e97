package report

import (
	"errors"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to a temporary file in name's directory and
// renames it into place, so that name is either absent, its old content, or
// the complete new content — never a truncated file. When name is a
// symbolic link (a step summary file a CI system links, say), it writes
// through it: the link stays, and its target is replaced atomically, in the
// target's directory.
func WriteFileAtomic(name string, data []byte) error {
	name, err := ResolveLinks(name)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// ResolveLinks returns the file that name's symbolic links lead to (which
// need not exist yet), or name itself when it is not a link: the file
// WriteFileAtomic replaces.
func ResolveLinks(name string) (string, error) {
	for range 40 { // as many links as Linux follows
		fi, err := os.Lstat(name)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return name, nil
		}
		target, err := os.Readlink(name)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(name), target)
		}
		name = target
	}
	return "", &os.PathError{Op: "write", Path: name, Err: errors.New("too many levels of symbolic links")}
}
