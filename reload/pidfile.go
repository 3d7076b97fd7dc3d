package reload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// ReadPIDFile returns the PID stored in path.
func ReadPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read PID file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("PID file %s: %w", path, err)
	}
	return pid, nil
}

// removePIDFile deletes path only while it still holds pid, so a stopping old
// generation never removes the file its successor wrote.
func removePIDFile(path string, pid int) (bool, error) {
	got, err := ReadPIDFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if got != pid {
		return false, nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("remove PID file: %w", err)
	}
	return true, nil
}
