package graph

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// checkText refuses a NUL character in any string of an argument value,
// JSON map keys and values (sessionProperties, pathTaken) included, naming
// where it is (messages[1].content, input.pathTaken[0]).
//
// PostgreSQL cannot store NUL (text and jsonb refuse it, an internal error),
// while SQLite stores it: the same input must get the same answer on both.
// The check runs on the parsed operation before any resolver, so it covers
// every write of the API (all are mutations, REST only reads) and the
// filters of reads as well, which an ent hook would not see, and it can name
// the field as the caller wrote it, which an ent hook cannot.
func checkText(path string, v any) error {
	switch v := v.(type) {
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("%s: must not contain the NUL character (\\u0000)", path)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if strings.IndexByte(k, 0) >= 0 {
				return fmt.Errorf("%s: keys must not contain the NUL character (\\u0000)", path)
			}
			if err := checkText(path+"."+k, v[k]); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			if err := checkText(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
	}
	return nil
}
