// Package configs embeds the per-environment configuration layers (development,
// staging, production) that sit between the built-in defaults and the operator's file.
package configs

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Names lists the known environments, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Get returns the YAML of environment name, or an error naming the known ones.
func Get(name string) ([]byte, error) {
	for _, n := range Names() {
		if n == name {
			return files.ReadFile(name + ".yaml")
		}
	}
	return nil, fmt.Errorf("unknown environment %q (known: %s)", name, strings.Join(Names(), ", "))
}
