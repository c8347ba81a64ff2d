package db

import (
	"encoding/json"
	"fmt"
	"strings"
)

// PackColumns returns a select-list item that reads cols as a single
// value, a JSON array in column order, for UnpackRow to split. A row read
// as one value costs the driver one value instead of one per column: on
// SQLite, reading a person's 33 columns by primary key took 31 µs, of which
// 19 µs went to fetching, converting and allocating the columns one by one;
// packed, 21 µs (a loop of look-ups by PIN, one at a time, over the 1M
// register of bench/httpget).
//
// The value is named packed: the driver copies a column's name for every
// query, and unnamed it is the whole expression.
func (db *DB) PackColumns(cols []string) string {
	list := strings.Join(cols, ", ")
	if db.Engine == Postgres {
		return "json_build_array(" + list + ")::text AS packed"
	}
	return "json_array(" + list + ") AS packed"
}

// UnpackRow splits a row packed by PackColumns into out, which must have
// one element per column: each value as text, strings unescaped, numbers
// as written, NULL as "". A string without escapes is a substring of s, so
// a row costs one allocation, not one per column.
func UnpackRow(s string, out []string) error {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '[' {
		return fmt.Errorf("packed row: not a JSON array")
	}
	i++
	for n := range out {
		i = skipSpace(s, i)
		if n > 0 {
			if i >= len(s) || s[i] != ',' {
				return fmt.Errorf("packed row: %d values, want %d", n, len(out))
			}
			i = skipSpace(s, i+1)
		}
		if i >= len(s) {
			return fmt.Errorf("packed row: ends after %d values", n)
		}
		switch c := s[i]; {
		case c == '"':
			end, escaped := i+1, false
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					escaped = true
					end++
				}
				end++
			}
			if end >= len(s) {
				return fmt.Errorf("packed row: value %d: unterminated string", n)
			}
			if !escaped {
				out[n] = s[i+1 : end]
			} else if err := json.Unmarshal([]byte(s[i:end+1]), &out[n]); err != nil {
				return fmt.Errorf("packed row: value %d: %w", n, err)
			}
			i = end + 1
		case c == 'n' && strings.HasPrefix(s[i:], "null"):
			out[n] = ""
			i += len("null")
		case c == '-' || c >= '0' && c <= '9':
			end := i + 1
			for end < len(s) && strings.IndexByte("0123456789+-.eE", s[end]) >= 0 {
				end++
			}
			out[n] = s[i:end]
			i = end
		default:
			return fmt.Errorf("packed row: value %d: unexpected %q", n, c)
		}
	}
	if i = skipSpace(s, i); i >= len(s) || s[i] != ']' || skipSpace(s, i+1) != len(s) {
		return fmt.Errorf("packed row: more than %d values", len(out))
	}
	return nil
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
		i++
	}
	return i
}
