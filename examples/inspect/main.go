// Command inspect prints what custsync knows about each vendor: the
// operations in its spec, the server, and the credentials every call needs.
// It is the README's first command until the custsync CLI exists.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/custsync/custsync/specs"
)

func main() {
	ctx := context.Background()
	for _, v := range specs.Vendors {
		doc, err := specs.Load(ctx, v)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s (%s, doc checked %v)\n", v, doc.Servers[0].URL, doc.Info.Extensions["x-vendor-doc-checked"])
		var creds []string
		for _, req := range doc.Security {
			for name := range req {
				s := doc.Components.SecuritySchemes[name].Value
				if s.Type == "http" {
					creds = append(creds, "HTTP "+s.Scheme)
				} else {
					creds = append(creds, "header "+s.Name)
				}
			}
		}
		sort.Strings(creds)
		fmt.Printf("  credentials: %s\n", strings.Join(creds, " + "))
		paths := doc.Paths.InMatchingOrder()
		sort.Strings(paths)
		for _, p := range paths {
			ops := doc.Paths.Value(p).Operations()
			methods := make([]string, 0, len(ops))
			for m := range ops {
				methods = append(methods, m)
			}
			sort.Strings(methods)
			for _, method := range methods {
				op := ops[method]
				var statuses []string
				for s := range op.Responses.Map() {
					statuses = append(statuses, s)
				}
				sort.Strings(statuses)
				fmt.Printf("  %-4s %s  %s  [%s]\n", method, p, op.OperationID, strings.Join(statuses, " "))
			}
		}
	}
}
