package capture

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// RotateConfig is tcpdump's -w FILE with -C, -G and -W.
type RotateConfig struct {
	// Name is the file name; with Every set it is a strftime(3) pattern
	// ("dump-%Y%m%d-%H%M%S.pcap"). "-" writes standard output, which
	// never rotates.
	Name string
	// MaxBytes starts a new file once the current one is larger (-C, in
	// millions of bytes); 0 never does. Files after the first get a number
	// after the name: dump.pcap, dump.pcap1, dump.pcap2, …
	MaxBytes int64
	// Every starts a new file when a packet comes this long after the
	// current file was started (-G); 0 never does.
	Every time.Duration
	// MaxFiles (-W) with MaxBytes reuses the names after this many files,
	// numbered from 0 with leading zeros (a ring of files); with Every
	// alone it stops the capture after this many files (Done reports it).
	MaxFiles int
	// Format, LinkType and Writer are those of NewWriter for every file.
	Format   Format
	LinkType layers.LinkType
	Writer   *WriterConfig
	// Stdout is the stream for Name "-".
	Stdout io.Writer
}

// A RotatingWriter writes packets to a file, starting new ones as
// RotateConfig says. The first file is created by NewRotatingWriter, so a
// program that drops privileges afterwards has its first file open; later
// files are created with the privileges the program then has.
type RotatingWriter struct {
	cfg     RotateConfig
	w       *Writer
	f       *os.File
	name    string
	count   int // files started in this time interval (-C numbering)
	files   int // files started in all (-W with -G)
	started time.Time
	done    bool
}

// NewRotatingWriter creates the first file, named for time now.
func NewRotatingWriter(cfg RotateConfig, now time.Time) (*RotatingWriter, error) {
	if cfg.Name == "" {
		return nil, errors.New("capture: no file name")
	}
	r := &RotatingWriter{cfg: cfg}
	if err := r.open(now); err != nil {
		return nil, err
	}
	return r, nil
}

// Name returns the name of the file being written.
func (r *RotatingWriter) Name() string { return r.name }

// Done reports that -W files of -G have been written: tcpdump then stops.
func (r *RotatingWriter) Done() bool { return r.done }

// Writer returns the writer of the current file.
func (r *RotatingWriter) Writer() *Writer { return r.w }

func (r *RotatingWriter) open(now time.Time) error {
	r.started = now
	r.files++
	var out io.Writer
	if r.cfg.Name == "-" {
		r.name = "-"
		out = r.cfg.Stdout
		if out == nil {
			out = os.Stdout
		}
	} else {
		r.name = fileName(r.cfg.Name, r.cfg.Every > 0, r.count, r.cfg.MaxFiles, r.cfg.MaxBytes > 0, now)
		f, err := os.Create(r.name)
		if err != nil {
			return err
		}
		r.f = f
		out = f
	}
	w, err := NewWriter(out, r.cfg.Format, r.cfg.LinkType, r.cfg.Writer)
	if err != nil {
		if r.f != nil {
			r.f.Close()
		}
		return err
	}
	r.w = w
	return nil
}

// fileName is tcpdump's MakeFilename: the pattern through strftime when
// rotating by time, then the file's number when there is more than one.
func fileName(pattern string, byTime bool, count, maxFiles int, bySize bool, t time.Time) string {
	name := pattern
	if byTime {
		name = strftime(pattern, t)
	}
	width := 0
	if maxFiles > 0 && bySize {
		for n := maxFiles - 1; n > 0; n /= 10 {
			width++
		}
	}
	if count == 0 && width == 0 {
		return name
	}
	s := strconv.Itoa(count)
	for len(s) < width {
		s = "0" + s
	}
	return name + s
}

// rotate closes the current file and starts the next.
func (r *RotatingWriter) rotate(now time.Time, newInterval bool) error {
	if err := r.closeFile(); err != nil {
		return err
	}
	if newInterval {
		if r.cfg.MaxFiles > 0 && r.files >= r.cfg.MaxFiles && r.cfg.MaxBytes == 0 {
			r.done = true
			return nil
		}
		r.count = 0
	} else {
		r.count++
		if r.cfg.MaxFiles > 0 && r.count >= r.cfg.MaxFiles {
			r.count = 0
		}
	}
	return r.open(now)
}

// WritePacket writes a packet, first starting a new file when the current
// one is too big or too old. ci.Timestamp is the time that counts for -G.
func (r *RotatingWriter) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	if r.done {
		return nil
	}
	if r.name != "-" {
		if r.cfg.Every > 0 && ci.Timestamp.Sub(r.started) >= r.cfg.Every {
			if err := r.rotate(ci.Timestamp, true); err != nil || r.done {
				return err
			}
		}
		if r.cfg.MaxBytes > 0 && r.w.Written() > r.cfg.MaxBytes {
			if err := r.rotate(ci.Timestamp, false); err != nil {
				return err
			}
		}
	}
	return r.w.WritePacket(ci, data)
}

// Flush writes what is buffered to the current file.
func (r *RotatingWriter) Flush() error {
	if r.w == nil {
		return nil
	}
	return r.w.Flush()
}

func (r *RotatingWriter) closeFile() error {
	err := r.Flush()
	if r.f != nil {
		if cerr := r.f.Close(); err == nil {
			err = cerr
		}
		r.f = nil
	}
	r.w = nil
	return err
}

// Close flushes and closes the current file.
func (r *RotatingWriter) Close() error { return r.closeFile() }

// strftime formats t with the conversions of strftime(3) that file names
// use; others are copied as they are.
func strftime(f string, t time.Time) string {
	var b []byte
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b = append(b, f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			b = strconv.AppendInt(b, int64(t.Year()), 10)
		case 'y':
			b = fmt.Appendf(b, "%02d", t.Year()%100)
		case 'm':
			b = fmt.Appendf(b, "%02d", int(t.Month()))
		case 'd':
			b = fmt.Appendf(b, "%02d", t.Day())
		case 'e':
			b = fmt.Appendf(b, "%2d", t.Day())
		case 'H':
			b = fmt.Appendf(b, "%02d", t.Hour())
		case 'I':
			b = fmt.Appendf(b, "%02d", (t.Hour()+11)%12+1)
		case 'M':
			b = fmt.Appendf(b, "%02d", t.Minute())
		case 'S':
			b = fmt.Appendf(b, "%02d", t.Second())
		case 'j':
			b = fmt.Appendf(b, "%03d", t.YearDay())
		case 's':
			b = strconv.AppendInt(b, t.Unix(), 10)
		case 'p':
			b = append(b, t.Format("PM")...)
		case 'a':
			b = append(b, t.Format("Mon")...)
		case 'A':
			b = append(b, t.Format("Monday")...)
		case 'b', 'h':
			b = append(b, t.Format("Jan")...)
		case 'B':
			b = append(b, t.Format("January")...)
		case 'F':
			b = append(b, t.Format("2006-01-02")...)
		case 'T':
			b = append(b, t.Format("15:04:05")...)
		case 'z':
			b = append(b, t.Format("-0700")...)
		case 'Z':
			b = append(b, t.Format("MST")...)
		case '%':
			b = append(b, '%')
		default:
			b = append(b, '%', f[i])
		}
	}
	return string(b)
}
