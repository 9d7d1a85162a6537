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
// values are slices of obj.
func splitObject(obj []byte) map[string]json.RawMessage {
	type member struct{ name, value []byte }
	var buf [32]member
	members := buf[:0]
	rawjson.Members(obj, func(name, value []byte, _, _ int) { members = append(members, member{name, value}) })
	fields := make(map[string]json.RawMessage, len(members))
	for _, m := range members {
		fields[memberName(m.name)] = m.value // the last of duplicates wins, as in encoding/json
	}
	return fields
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
