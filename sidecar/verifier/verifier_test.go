package verifier

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loopin-project/loopin/sidecar/metrics"
	"github.com/stretchr/testify/require"
)

// pruneTranscripts removes only the transcripts written before the cutoff.
func TestPruneTranscripts(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	files := map[string]time.Time{
		"1.pb":      now.Add(-48 * time.Hour), // old: removed
		"2.pb":      now.Add(-25 * time.Hour), // old: removed
		"3.pb":      now.Add(-time.Hour),      // recent: kept
		"4.pb.tmp":  now.Add(-48 * time.Hour), // not a transcript: kept
		"notes.txt": now.Add(-48 * time.Hour), // not a transcript: kept
	}
	for name, mtime := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(name), 0o600))
		require.NoError(t, os.Chtimes(path, mtime, mtime))
	}
	n, err := pruneTranscripts(dir, now.Add(-24*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	left, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	var names []string
	for _, p := range left {
		names = append(names, filepath.Base(p))
	}
	require.ElementsMatch(t, []string{"3.pb", "4.pb.tmp", "notes.txt"}, names)

	_, err = pruneTranscripts(filepath.Join(dir, "missing"), now)
	require.Error(t, err, "an unreadable directory is an error")
}

// A saved report that cannot be read back (damaged, or an older version's
// format) is set aside with a warning, and the other saved reports still
// go: it used to stop every resubmission.
func TestUnreadableSavedReportIsSetAside(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "reports"), 0o700))
	bad := filepath.Join(dir, "reports", "7.result")
	require.NoError(t, os.WriteFile(bad, []byte{0xff, 0xff, 0xff}, 0o600))
	r := &runner{cfg: Config{Dir: dir}, mm: newMetrics(metrics.NewRegistry()), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	require.NoError(t, r.resubmit(context.Background()), "nothing left to submit, no node needed")
	_, err := os.Stat(bad)
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(bad + ".unreadable")
	require.NoError(t, err, "kept for the operator to look at")
}
