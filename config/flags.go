package config

import (
	"strings"

	"github.com/spf13/pflag"
)

// commonFlags maps the convenience flags to their keys.
var commonFlags = []struct{ name, key, usage string }{
	{"listen", "server.listen", "HTTP listen address host:port (server.listen)"},
	{"log-level", "log.level", "debug, info, warn or error (log.level)"},
	{"log-format", "log.format", "json or text (log.format)"},
	{"log-output", "log.output", "stderr, stdout or file (log.output)"},
	{"log-dir", "log.dir", "write the five log files in this directory (log.dir; implies --log-output file)"},
	{"pid-file", "reload.pid_file", "write the serving process's PID here (reload.pid_file)"},
}

// Flags holds the configuration flags bound to a FlagSet.
type Flags struct {
	fs         *pflag.FlagSet
	env        string
	configFile string
	values     map[string]*string
	sets       []string
}

// BindFlags registers --env, --config, --set and the common key flags on fs.
func BindFlags(fs *pflag.FlagSet) *Flags { return bindFlags(fs, nil) }

// serveOnlyFlags mean nothing outside serve (stdio has no listener and no PID file).
var serveOnlyFlags = map[string]bool{"listen": true, "pid-file": true}

// BindStdioFlags is BindFlags without the flags only serve uses (--listen, --pid-file);
// their keys can still be set with --set.
func BindStdioFlags(fs *pflag.FlagSet) *Flags { return bindFlags(fs, serveOnlyFlags) }

func bindFlags(fs *pflag.FlagSet, skip map[string]bool) *Flags {
	f := &Flags{fs: fs, values: map[string]*string{}}
	fs.StringVar(&f.env, "env", "", "environment layer: development, staging or production (default $"+EnvPrefix+"ENV, else development)")
	fs.StringVar(&f.configFile, "config", "", "operator config file (default $"+EnvPrefix+"CONFIG, else "+DefaultConfigFile+" when present)")
	for _, c := range commonFlags {
		if !skip[c.name] {
			f.values[c.name] = fs.String(c.name, "", c.usage)
		}
	}
	fs.StringArrayVar(&f.sets, "set", nil, "set any key: --set query.max_rows=500 (repeatable)")
	return f
}

// Options turns the parsed flags into Load options; only flags given on the command line count.
func (f *Flags) Options() (Options, error) {
	o := Options{Env: f.env, ConfigFile: f.configFile}
	for _, c := range commonFlags {
		if f.fs.Changed(c.name) {
			o.Overrides = append(o.Overrides, Override{Key: c.key, Value: *f.values[c.name], Flag: "--" + c.name})
		}
	}
	// A log directory on the command line means "log to files there" unless said otherwise.
	if f.fs.Changed("log-dir") && !f.fs.Changed("log-output") {
		o.Overrides = append(o.Overrides, Override{Key: "log.output", Value: "file", Flag: "--log-dir"})
	}
	for _, s := range f.sets {
		k, v, ok := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			// Only the key-like start is echoed: after a typo such as
			// snowflake.password:xyz the rest may be the secret.
			return Options{}, &Error{Key: keyPrefix(s), Source: "flag --set", Reason: "want key=value, e.g. --set query.max_rows=500"}
		}
		o.Overrides = append(o.Overrides, Override{Key: k, Value: v, Flag: "--set"})
	}
	return o, nil
}

// keyPrefix returns the leading run of characters that keys use (letters, digits, _ and .).
func keyPrefix(s string) string {
	for i, c := range s {
		if !(c == '_' || c == '.' || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')) {
			return s[:i] + "..."
		}
	}
	return s
}
