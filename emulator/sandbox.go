package emulator

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// DefaultMemoryLimit bounds DuckDB's memory when Config.MemoryLimit is empty.
const DefaultMemoryLimit = "2GiB"

// sandbox locks the engine down after seeding: no file system or network
// access from SQL (irreversible while the database runs), no extension
// installs or loads, bounded memory and threads.
//
// DuckDB's lock_configuration would also freeze the per-session TimeZone
// that ALTER SESSION SET TIMEZONE relies on, so client SQL is kept away from
// DuckDB's settings by refuseEngineStatement instead.
func sandbox(ctx context.Context, db *sql.DB, memoryLimit string, threads int) error {
	if memoryLimit == "" {
		memoryLimit = DefaultMemoryLimit
	}
	stmts := []string{
		"SET GLOBAL memory_limit = " + quoteString(memoryLimit),
		"SET GLOBAL autoinstall_known_extensions = false",
		"SET GLOBAL autoload_known_extensions = false",
		"SET GLOBAL allow_community_extensions = false",
		"SET GLOBAL enable_external_access = false",
	}
	if threads > 0 {
		stmts = append(stmts, fmt.Sprintf("SET GLOBAL threads = %d", threads))
	}
	for _, st := range stmts {
		if _, err := db.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("sandbox the engine (%s): %w", st, err)
		}
	}
	return nil
}

// engineSettings lists DuckDB's configuration names (and aliases), read
// once at startup, so SET on any of them can be refused.
func engineSettings(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name, aliases FROM duckdb_settings()")
	if err != nil {
		return nil, fmt.Errorf("list engine settings: %w", err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		var aliases []any
		if err := rows.Scan(&name, &aliases); err != nil {
			return nil, fmt.Errorf("list engine settings: %w", err)
		}
		out[strings.ToUpper(name)] = true
		for _, a := range aliases {
			out[strings.ToUpper(fmt.Sprint(a))] = true
		}
	}
	return out, rows.Err()
}

// refuseEngineStatement rejects statements that reach past Snowflake SQL into
// the engine: DuckDB's configuration, extensions, files and catalogs.
// Snowflake's own SET var = value (session variables) stays allowed.
func (s *Server) refuseEngineStatement(toks []token) error {
	kw := strings.ToUpper(toks[0].text)
	switch kw {
	case "PRAGMA", "INSTALL", "LOAD", "FORCE", "EXPORT", "IMPORT", "CHECKPOINT", "ATTACH", "DETACH", "RESET", "COPY", "VACUUM":
		return unsupportedFeature(kw)
	case "SET", "UNSET":
		if len(toks) < 2 {
			return nil
		}
		name := strings.ToUpper(toks[1].text)
		if name == "GLOBAL" || name == "SESSION" || name == "LOCAL" || name == "VARIABLE" || s.settings[name] {
			return unsupportedFeature(kw + " " + name)
		}
	}
	return nil
}

// unsupportedFeature is the 000002 error for a statement the emulator refuses outright.
func unsupportedFeature(what string) error {
	return &sfError{"000002", "0A000", "Unsupported feature '" + what + "'."}
}
