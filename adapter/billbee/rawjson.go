package billbee

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/custsync/custsync/adapter/internal/rawjson"
	gen "github.com/custsync/custsync/gen/billbee"
)

// Billbee's write is the record as read with the update over it, so the
// driver handles Data as its members, each value exactly as read
// (package rawjson walks them without decoding the values).

// splitObject returns the members of the valid JSON object obj; the
// values are slices of obj. A name written twice, in one letter case or
// two ("email" and "Email"), is kept once, as last written: Billbee's
// ASP.NET binder and encoding/json both take the last, and the write,
// which sends members sorted by name, must not send the other after it.
func splitObject(obj []byte) map[string]json.RawMessage {
	type member struct {
		name  string
		ascii bool
		value []byte
	}
	var buf [32]member
	members := buf[:0]
	rawjson.Members(obj, func(name, value []byte, _, _ int) {
		n := memberName(name)
		members = append(members, member{n, isASCII(n), value})
	})
	fields := make(map[string]json.RawMessage, len(members))
next:
	for i, m := range members {
		for _, later := range members[i+1:] {
			if (m.ascii && later.ascii && len(m.name) != len(later.name)) || !strings.EqualFold(m.name, later.name) {
				continue
			}
			continue next // written again below
		}
		fields[m.name] = m.value
	}
	return fields
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// knownNames holds the member names of the generated customer types,
// each for itself: a name Billbee writes as the spec does is then
// decoded without a new string.
var knownNames = func() map[string]string {
	names := map[string]string{}
	for _, t := range []reflect.Type{reflect.TypeFor[gen.Customer](), reflect.TypeFor[gen.CustomerUpdate]()} {
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				names[name] = name
			}
		}
	}
	return names
}()

// memberName decodes a member name as written, quotes included.
func memberName(quoted []byte) string {
	if rawjson.Plain(quoted) {
		if name, ok := knownNames[string(quoted[1:len(quoted)-1])]; ok {
			return name
		}
	}
	return rawjson.Name(quoted)
}
