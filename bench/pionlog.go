package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/pion/logging"
)

// pionLogs routes Pion's logs into the client's slog logger, so that what
// Pion reports is tagged with the participant it happened to instead of
// going to stderr anonymously. Pion's trace level is dropped, and its warn
// level becomes info: Pion warns about routine events (connectivity checks
// before the first candidate, streams closed during shutdown, RTCP about
// SSRCs it does not track), which would drown a load generator's warnings.
type pionLogs struct{ log *slog.Logger }

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

// logf formats only when the level is enabled, as Pion's own logger does:
// some of Pion's debug calls format structs that other goroutines are
// writing ("got new track: %+v"), which is a data race if formatted.
func (l pionLogger) logf(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (l pionLogger) print(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

func (l pionLogger) Trace(string)                   {}
func (l pionLogger) Tracef(string, ...any)          {}
func (l pionLogger) Debug(msg string)               { l.print(slog.LevelDebug, msg) }
func (l pionLogger) Debugf(format string, a ...any) { l.logf(slog.LevelDebug, format, a...) }
func (l pionLogger) Info(msg string)                { l.print(slog.LevelInfo, msg) }
func (l pionLogger) Infof(format string, a ...any)  { l.logf(slog.LevelInfo, format, a...) }
func (l pionLogger) Warn(msg string)                { l.print(slog.LevelInfo, msg) }
func (l pionLogger) Warnf(format string, a ...any)  { l.logf(slog.LevelInfo, format, a...) }
func (l pionLogger) Error(msg string)               { l.print(errorLevel(msg), msg) }
func (l pionLogger) Errorf(format string, a ...any) { l.Error(fmt.Sprintf(format, a...)) }

// errorLevel is the level for one of Pion's errors. Its interceptors log a
// write to a transport that has closed as an error ("io: read/write on
// closed pipe", from the TWCC feedback sender mostly); every client that
// leaves at the end of a run makes some, and they read as a failed run.
// They are debug: a real failure shows in the figures.
func errorLevel(msg string) slog.Level {
	if strings.Contains(msg, io.ErrClosedPipe.Error()) {
		return slog.LevelDebug
	}
	return slog.LevelError
}
