// Package config owns snowflake-mcp's layered configuration: built-in defaults, the
// embedded per-environment YAML, the operator's file, environment variables and flags,
// each overriding the one before, with the layer that set every key kept as provenance.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/knadh/koanf/parsers/json"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"

	"github.com/snowflake-mcp/snowflake-mcp/configs"
)

// DefaultConfigFile is read as the operator layer when it exists and no --config is given.
const DefaultConfigFile = "/etc/snowflake-mcp/config.yaml"

// EnvPrefix starts every environment variable that sets a key: SNOWFLAKE_MCP_SERVER__LISTEN.
const EnvPrefix = "SNOWFLAKE_MCP_"

// Layer is one configuration source; a higher layer overrides a lower one.
type Layer int

// The layers, lowest first.
const (
	LayerDefault Layer = iota + 1
	LayerEnvironment
	LayerFile
	LayerEnv
	LayerFlag
)

func (l Layer) String() string {
	switch l {
	case LayerDefault:
		return "default"
	case LayerEnvironment:
		return "environment"
	case LayerFile:
		return "file"
	case LayerEnv:
		return "env"
	case LayerFlag:
		return "flag"
	}
	return fmt.Sprintf("layer(%d)", int(l))
}

// Source says which layer set a key and how ("env SNOWFLAKE_MCP_SERVER__LISTEN").
type Source struct {
	Layer  Layer
	Detail string
}

func (s Source) String() string { return s.Detail }

// Override is one flag-layer value: a key, its text, and the flag that carried it.
type Override struct {
	Key   string
	Value string
	Flag  string // e.g. "--listen" or "--set"
}

// Options selects the layers Load reads.
type Options struct {
	// Env names the environment layer (--env); "" falls back to SNOWFLAKE_MCP_ENV, then development.
	Env string
	// ConfigFile is the operator file (--config); "" falls back to SNOWFLAKE_MCP_CONFIG, then
	// DefaultConfigFile when it exists. An explicit path that is missing is an error.
	ConfigFile string
	// Environ is the process environment as os.Environ returns it; nil means os.Environ().
	Environ []string
	// Overrides are the flag layer, applied in order.
	Overrides []Override
}

// Loaded is an effective configuration with the provenance of each key.
type Loaded struct {
	Config Config
	// Sources maps every key (Keys()) to the layer that set it.
	Sources map[string]Source
	// ConfigFile is the operator file that was read, or "".
	ConfigFile string
}

// Error is a configuration error about one key, in one layer.
type Error struct {
	Key    string
	Source string
	Reason string
}

func (e *Error) Error() string {
	if e.Source == "" {
		return fmt.Sprintf("config: %s: %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("config: %s (from %s): %s", e.Key, e.Source, e.Reason)
}

type entry struct {
	key string
	raw any
	src Source
}

// conventional maps Snowflake's own environment variables (those the Snowflake CLI and
// drivers read) to keys. SNOWFLAKE_MCP_SNOWFLAKE__* variables override these.
var conventional = map[string]string{
	"SNOWFLAKE_ACCOUNT":                "snowflake.account",
	"SNOWFLAKE_USER":                   "snowflake.user",
	"SNOWFLAKE_PASSWORD":               "snowflake.password",
	"SNOWFLAKE_ROLE":                   "snowflake.role",
	"SNOWFLAKE_WAREHOUSE":              "snowflake.warehouse",
	"SNOWFLAKE_DATABASE":               "snowflake.database",
	"SNOWFLAKE_SCHEMA":                 "snowflake.schema",
	"SNOWFLAKE_PRIVATE_KEY_PATH":       "snowflake.private_key_path",
	"SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "snowflake.private_key_passphrase",
	// The Snowflake CLI's spellings of the same two settings.
	"SNOWFLAKE_PRIVATE_KEY_FILE":     "snowflake.private_key_path",
	"SNOWFLAKE_PRIVATE_KEY_FILE_PWD": "snowflake.private_key_passphrase",
	"SNOWFLAKE_AUTHENTICATOR":        "snowflake.authenticator",
	"SNOWFLAKE_TOKEN":                "snowflake.token",
	"SNOWFLAKE_CONNECTION_NAME":      "snowflake.connection_name",
	"SNOWFLAKE_HOST":                 "snowflake.host",
	"SNOWFLAKE_PORT":                 "snowflake.port",
	"SNOWFLAKE_PROTOCOL":             "snowflake.protocol",
}

// ConventionalEnv returns the Snowflake driver variables Load reads, mapped to their keys.
func ConventionalEnv() map[string]string {
	out := make(map[string]string, len(conventional))
	for k, v := range conventional {
		out[k] = v
	}
	return out
}

// Load reads the five layers, validates every value and returns the effective configuration.
// Any *Error it returns names the key, the layer and the reason.
func Load(opts Options) (*Loaded, error) {
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	envMap := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}

	values := map[string]any{}
	sources := map[string]Source{}
	apply := func(entries []entry) error {
		for _, e := range entries {
			f, ok := fieldByKey[e.key]
			if !ok || e.key == "environment" {
				return unknownKey(e.key, e.src)
			}
			v, err := convert(f, e.raw)
			if err != nil {
				return &Error{Key: e.key, Source: e.src.String(), Reason: err.Error()}
			}
			values[e.key] = v
			sources[e.key] = e.src
		}
		return nil
	}

	// Layer 1: defaults.
	def := Defaults()
	for _, f := range allFields {
		v := f.get(&def).Interface()
		if s, ok := v.(Secret); ok {
			v = s.Reveal() // plain text: the decoder would otherwise see the redacted form
		}
		values[f.key] = v
		sources[f.key] = Source{LayerDefault, "default"}
	}

	// Layer 2: the environment's embedded YAML.
	envName, envSrc := "development", Source{LayerDefault, "default"}
	if v := envMap[EnvPrefix+"ENV"]; v != "" {
		envName, envSrc = v, Source{LayerEnv, "env " + EnvPrefix + "ENV"}
	}
	if opts.Env != "" {
		envName, envSrc = opts.Env, Source{LayerFlag, "flag --env"}
	}
	raw, err := configs.Get(envName)
	if err != nil {
		return nil, &Error{Key: "environment", Source: envSrc.String(), Reason: err.Error()}
	}
	values["environment"] = envName
	sources["environment"] = envSrc
	envFile := "configs/" + envName + ".yaml"
	entries, err := parseLayer(rawbytes.Provider(raw), yaml.Parser(), Source{LayerEnvironment, "environment file " + envFile})
	if err != nil {
		return nil, err
	}
	if err := apply(entries); err != nil {
		return nil, err
	}

	// Layer 3: the operator file.
	path, explicit, pathSrc := opts.ConfigFile, opts.ConfigFile != "", "flag --config"
	if !explicit {
		if p := envMap[EnvPrefix+"CONFIG"]; p != "" {
			path, explicit, pathSrc = p, true, "env "+EnvPrefix+"CONFIG"
		} else {
			path, pathSrc = DefaultConfigFile, "default"
		}
	}
	loaded := &Loaded{}
	if _, err := os.Stat(path); err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			path = ""
		} else {
			return nil, &Error{Key: "config file", Source: pathSrc, Reason: fmt.Sprintf("cannot read %s: %v", path, unwrapPathErr(err))}
		}
	}
	if path != "" {
		var p koanf.Parser = yaml.Parser()
		if strings.EqualFold(filepath.Ext(path), ".json") {
			p = json.Parser()
		}
		entries, err := parseLayer(file.Provider(path), p, Source{LayerFile, "config file " + path})
		if err != nil {
			return nil, err
		}
		if err := apply(entries); err != nil {
			return nil, err
		}
		loaded.ConfigFile = path
	}

	// Layer 4: environment variables.
	entries, err = envEntries(envMap)
	if err != nil {
		return nil, err
	}
	if err := apply(entries); err != nil {
		return nil, err
	}

	// Layer 5: flags.
	entries = entries[:0]
	for _, o := range opts.Overrides {
		src := Source{LayerFlag, "flag " + o.Flag}
		if o.Flag == "--set" {
			src.Detail = "flag --set " + o.Key
		}
		entries = append(entries, entry{key: o.Key, raw: o.Value, src: src})
	}
	if err := apply(entries); err != nil {
		return nil, err
	}

	// Merge the typed values with koanf and decode them into Config.
	k := koanf.New(".")
	if err := k.Load(confmap.Provider(values, "."), nil); err != nil {
		return nil, fmt.Errorf("config: merge layers: %w", err)
	}
	if err := k.UnmarshalWithConf("", &loaded.Config, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return nil, fmt.Errorf("config: decode merged layers: %w", err)
	}
	loaded.Sources = sources
	if err := loaded.resolveSecretFiles(envMap); err != nil {
		return nil, err
	}
	if err := loaded.resolveTokensFile(envMap); err != nil {
		return nil, err
	}
	if err := loaded.validate(); err != nil {
		return nil, err
	}
	if err := loaded.checkCredentials(); err != nil {
		return loaded, &IncompleteError{Missing: err}
	}
	return loaded, nil
}

// IncompleteError is what Load returns, together with the Loaded configuration, when every
// value is valid but one the server needs is missing (credentials): the configuration can be
// printed, not served.
type IncompleteError struct{ Missing error }

func (e *IncompleteError) Error() string { return e.Missing.Error() }
func (e *IncompleteError) Unwrap() error { return e.Missing }

// parseLayer flattens a YAML/JSON document into key entries; nested mappings become dotted keys.
func parseLayer(p koanf.Provider, pa koanf.Parser, src Source) ([]entry, error) {
	k := koanf.New(".")
	if err := k.Load(p, pa); err != nil {
		return nil, &Error{Key: "(document)", Source: src.String(), Reason: "cannot parse: " + err.Error()}
	}
	all := k.All()
	keys := make([]string, 0, len(all))
	for key := range all {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	var out []entry
	for _, key := range keys {
		v := all[key]
		if v == nil {
			continue // "key:" with no value leaves the lower layer in place
		}
		if m, ok := v.(map[string]any); ok && len(m) == 0 {
			continue
		}
		if sections[key] {
			return nil, &Error{Key: key, Source: src.String(), Reason: "is a section and needs a mapping of keys, got " + describe(v)}
		}
		out = append(out, entry{key: key, raw: v, src: src})
	}
	return out, nil
}

// envEntries reads SNOWFLAKE_* and SNOWFLAKE_MCP_<SECTION>__<KEY> variables. A variable
// under the prefix that names a section but is not a known key is an error (a typo such as
// SNOWFLAKE_MCP_SERVER_LISTEN must not be ignored); other SNOWFLAKE_MCP_ names (for example
// the test harness's SNOWFLAKE_MCP_BIN) are not configuration and are left alone.
func envEntries(env map[string]string) ([]entry, error) {
	names := make([]string, 0, len(env))
	for name := range env {
		names = append(names, name)
	}
	sort.Strings(names)
	var conv, prefixed []entry
	for _, name := range names {
		val := env[name]
		if val == "" {
			continue
		}
		if key, ok := conventional[name]; ok {
			conv = append(conv, entry{key: key, raw: val, src: Source{LayerEnv, "env " + name}})
			continue
		}
		rest, ok := strings.CutPrefix(name, EnvPrefix)
		if !ok || rest == "ENV" || rest == "CONFIG" {
			continue
		}
		src := Source{LayerEnv, "env " + name}
		if sec, key, ok := strings.Cut(rest, "__"); ok {
			k := strings.ToLower(sec) + "." + strings.ToLower(strings.ReplaceAll(key, "__", "."))
			if _, known := fieldByKey[k]; !known || k == "environment" {
				return nil, unknownKey(k, src)
			}
			prefixed = append(prefixed, entry{key: k, raw: val, src: src})
			continue
		}
		lower := strings.ToLower(rest)
		for sec := range sections {
			if strings.HasPrefix(lower, sec+"_") {
				return nil, &Error{Key: lower, Source: src.String(),
					Reason: fmt.Sprintf("unknown variable; keys nest with a double underscore, e.g. %s%s__%s",
						EnvPrefix, strings.ToUpper(sec), strings.ToUpper(strings.TrimPrefix(lower, sec+"_")))}
			}
		}
	}
	return append(conv, prefixed...), nil
}

func unknownKey(key string, src Source) error {
	if key == "environment" {
		return &Error{Key: key, Source: src.String(), Reason: "is chosen with --env or " + EnvPrefix + "ENV, not set as a key"}
	}
	reason := "unknown key"
	sec, _, nested := strings.Cut(key, ".")
	if nested && sections[sec] {
		var known []string
		for _, f := range allFields {
			if s, k, _ := strings.Cut(f.key, "."); s == sec {
				known = append(known, k)
			}
		}
		reason += fmt.Sprintf(" (known keys in %s: %s)", sec, strings.Join(known, ", "))
	} else {
		names := make([]string, 0, len(sections))
		for s := range sections {
			names = append(names, s)
		}
		sort.Strings(names)
		reason += fmt.Sprintf(" (known sections: %s)", strings.Join(names, ", "))
	}
	return &Error{Key: key, Source: src.String(), Reason: reason}
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
