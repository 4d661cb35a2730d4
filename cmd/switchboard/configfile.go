package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"

	"gopkg.in/yaml.v3"
)

// errConfigFile reports a configuration file that cannot be used.
var errConfigFile = errors.New("config file")

// applyConfigFile sets, from the YAML file at path, every flag that neither
// the command line nor the environment has set: flags win over the
// environment, which wins over the file. Keys are the flags' names; a list
// sets a repeatable flag once per element:
//
//	listen: ":443"
//	nat-ip: [203.0.113.10]
//	udp-port: 50000
//	turn-listen: ":3478"
func applyConfigFile(fs *flag.FlagSet, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %w", errConfigFile, err)
	}
	var settings map[string]any
	if err := yaml.Unmarshal(data, &settings); err != nil {
		return fmt.Errorf("%w: %s: %w", errConfigFile, path, err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if fs.Lookup(k) == nil || k == "config" {
			return fmt.Errorf("%w: %s: unknown setting %q", errConfigFile, path, k)
		}
		if set[k] {
			continue
		}
		values, ok := settings[k].([]any)
		if !ok {
			values = []any{settings[k]}
		}
		for _, v := range values {
			if v == nil {
				continue
			}
			if err := fs.Set(k, fmt.Sprint(v)); err != nil {
				return fmt.Errorf("%w: %s: %s: %w", errConfigFile, path, k, err)
			}
		}
	}
	return nil
}
