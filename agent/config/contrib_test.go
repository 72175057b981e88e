package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// commentedKey is a commented-out assignment in contrib/confwatch.toml.
var commentedKey = regexp.MustCompile(`(?m)^#([a-z_]+) = `)

// TestExampleConfigChangesNothing keeps contrib/confwatch.toml (the
// package's conffile) harmless and complete (issue 14, item 2): as shipped it
// decodes to the defaults, every key is in it, commented out, and
// uncommenting all of them still gives the defaults, so each shows its
// default and copying the file to turn on one key changes nothing else.
func TestExampleConfigChangesNothing(t *testing.T) {
	const path = "../../contrib/confwatch.toml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	shipped := Default()
	if err := LoadFile(path, &shipped, false); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shipped, Default()) {
		t.Errorf("the example as shipped changes the configuration:\n got %+v\nwant %+v", shipped, Default())
	}

	uncommented := filepath.Join(t.TempDir(), "all.toml")
	if err := os.WriteFile(uncommented, []byte(commentedKey.ReplaceAllString(string(data), "$1 = ")), 0o644); err != nil {
		t.Fatal(err)
	}
	all := Default()
	if err := LoadFile(uncommented, &all, false); err != nil {
		t.Fatalf("the example with every key uncommented: %v", err)
	}
	if !reflect.DeepEqual(all, Default()) {
		t.Errorf("a commented value is not the default:\n got %+v\nwant %+v", all, Default())
	}

	present := map[string]bool{}
	for _, m := range commentedKey.FindAllStringSubmatch(string(data), -1) {
		present[m[1]] = true
	}
	for _, typ := range []reflect.Type{reflect.TypeOf(Config{}), reflect.TypeOf(Etcd{})} {
		for i := range typ.NumField() {
			key, _, _ := strings.Cut(typ.Field(i).Tag.Get("toml"), ",")
			if key != "etcd" && !present[key] {
				t.Errorf("contrib/confwatch.toml lacks a commented %q line", key)
			}
		}
	}
}
