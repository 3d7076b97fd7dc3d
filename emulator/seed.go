package emulator

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

//go:embed demo/*.sql
var demoSQL embed.FS

// seed runs the embedded demo warehouse, then every *.sql file of each seed
// directory in name order. Seed files are DuckDB SQL, run as written.
func seed(ctx context.Context, db *sql.DB, dirs []string) error {
	if _, err := db.ExecContext(ctx, "SET GLOBAL TimeZone = 'UTC'"); err != nil {
		return fmt.Errorf("set time zone: %w", err)
	}
	names, err := demoSQL.ReadDir("demo")
	if err != nil {
		return fmt.Errorf("read embedded demo: %w", err)
	}
	for _, n := range names {
		b, err := demoSQL.ReadFile("demo/" + n.Name())
		if err != nil {
			return fmt.Errorf("read embedded %s: %w", n.Name(), err)
		}
		if _, err := db.ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("seed demo %s: %w", n.Name(), err)
		}
	}
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		if err != nil {
			return fmt.Errorf("seed dir %s: %w", dir, err)
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("read seed %s: %w", f, err)
			}
			if _, err := db.ExecContext(ctx, string(b)); err != nil {
				return fmt.Errorf("seed %s: %w", f, err)
			}
		}
	}
	return nil
}
