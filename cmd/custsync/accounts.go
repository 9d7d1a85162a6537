package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/queue"
	"github.com/custsync/custsync/adapter/vendors"
	"github.com/custsync/custsync/internal/redact"
)

// defaultAccount is the account whose credentials are the vendor's plain
// variables (UPWELL_API_KEY...), as update and push read them.
const defaultAccount = "default"

// accountEnvPrefix starts the variables of a named account's credentials:
// CUSTSYNC_ACCOUNT_<NAME>_<the vendor's variable>.
const accountEnvPrefix = "CUSTSYNC_ACCOUNT_"

// accountMessage is why name cannot name an account, "" when it can
// (queue.CheckAccount's rule, which the queue applies too).
func accountMessage(name string) string {
	var e *adapter.Error
	if err := queue.CheckAccount(name); errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// accountSource is where one account's credentials come from.
type accountSource struct {
	// vendor is the one vendor a credentials file's account is for; ""
	// for an account of the environment, which serves each vendor whose
	// variables it has.
	vendor  vendors.Name
	baseURL string
	lookup  func(string) (string, bool)
	// prefix is what the environment's variables of the account start
	// with, for messages: CUSTSYNC_ACCOUNT_<NAME>_, or "".
	prefix string
	// from names the source for messages: never a value.
	from string
}

// workerAccounts is a worker's queue.Accounts: the accounts it serves and
// where their credentials come from. Each account's client is built once
// per vendor and shared by all the account's shards in the worker, so that
// they share its pacing and connections.
type workerAccounts struct {
	names   []string
	sources map[string]accountSource
	opts    []adapter.Option // every client's: the shared limiter, the logger

	mu      sync.Mutex
	clients map[string]*adapter.Client // by vendor + "/" + account
}

var _ queue.Accounts = (*workerAccounts)(nil)

func (w *workerAccounts) Names() []string { return w.names }

func (w *workerAccounts) Client(_ context.Context, vendor vendors.Name, account string) (bulk.Client, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := string(vendor) + "/" + account
	if c, ok := w.clients[key]; ok {
		return c, nil
	}
	c, err := w.sources[account].client(vendor, account, w.opts)
	if err != nil {
		return nil, err
	}
	w.clients[key] = c
	return c, nil
}

// client builds the client of account at vendor from s. Its errors name
// variables and files, never a value.
func (s accountSource) client(vendor vendors.Name, account string, opts []adapter.Option) (*adapter.Client, error) {
	if s.lookup == nil {
		return nil, fmt.Errorf("this worker does not serve account %q", account)
	}
	if s.vendor != "" && s.vendor != vendor {
		return nil, fmt.Errorf("account %q is for %s in %s, not for %s", account, s.vendor, s.from, vendor)
	}
	if s.baseURL != "" {
		opts = append(slices.Clip(opts), adapter.WithBaseURL(s.baseURL))
	}
	var missing []string
	lookup := func(name string) (string, bool) {
		v, ok := s.lookup(name)
		if !ok || v == "" {
			missing = append(missing, s.prefix+name)
		}
		return v, ok
	}
	c, err := vendors.FromLookup(vendor, lookup, opts...)
	if errors.Is(err, vendors.ErrEnvNotSet) && len(missing) > 0 {
		return nil, fmt.Errorf("account %q at %s: %s %s not set in %s", account, vendor, strings.Join(missing, ", "), plural(len(missing), "is", "are"), s.from)
	}
	if err != nil {
		var e *adapter.Error
		if errors.As(err, &e) && e.Field == "baseURL" {
			_, why, _ := strings.Cut(e.Message, "): ")
			return nil, fmt.Errorf("account %q: the base URL %s in %s: %s", account, redact.ConnString(s.baseURL), s.from, why)
		}
		return nil, fmt.Errorf("account %q, from %s: %w", account, s.from, err)
	}
	return c, nil
}

// envAccount is the source of account in the environment: the vendor's
// plain variables for the default account, CUSTSYNC_ACCOUNT_<NAME>_...
// for any other (NAME in upper case, '-' as '_'), and
// CUSTSYNC_ACCOUNT_<NAME>_BASE_URL for its base URL.
func envAccount(account string, lookup func(string) (string, bool)) accountSource {
	if account == defaultAccount {
		return accountSource{lookup: lookup, from: "the environment"}
	}
	prefix := accountEnvPrefix + strings.ToUpper(strings.ReplaceAll(account, "-", "_")) + "_"
	base, _ := lookup(prefix + "BASE_URL")
	return accountSource{
		baseURL: base,
		lookup:  func(name string) (string, bool) { return lookup(prefix + name) },
		prefix:  prefix,
		from:    "the environment",
	}
}

// credentialsFile is the worker's --credentials file.
type credentialsFile struct {
	Accounts map[string]struct {
		Vendor  string            `yaml:"vendor"`
		BaseURL string            `yaml:"baseURL"`
		Env     map[string]string `yaml:"env"`
	} `yaml:"accounts"`
}

// yamlValue matches a value a YAML error quotes, as `...`: it may be a
// secret.
var yamlValue = regexp.MustCompile("`[^`]*`")

// readCredentials reads the accounts of a credentials file. A file that
// group or others may read is refused, as ssh refuses a private key: the
// credentials in it are as good as theirs.
func readCredentials(path string) (map[string]accountSource, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, usagef("--credentials: %v", err)
	}
	if !info.Mode().IsRegular() {
		return nil, usagef("--credentials: %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, usagef("--credentials: %s holds credentials and may be read by others (mode %04o): chmod 600 %s", path, perm, shellQuote(path))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--credentials: %v", err)
	}
	var file credentialsFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
		return nil, usagef("--credentials: %s: %s", path, yamlValue.ReplaceAllString(err.Error(), "(a value)"))
	}
	if len(file.Accounts) == 0 {
		return nil, usagef("--credentials: %s names no account (want accounts: {NAME: {vendor: ..., env: {...}}})", path)
	}
	sources := make(map[string]accountSource, len(file.Accounts))
	for name, acc := range file.Accounts {
		if msg := accountMessage(name); msg != "" {
			return nil, usagef("--credentials: %s: %s", path, msg)
		}
		vendor, err := vendors.Parse(acc.Vendor)
		if err != nil {
			return nil, usagef("--credentials: %s: account %q: vendor %q: want one of %s", path, name, acc.Vendor, vendorNames())
		}
		env := acc.Env
		sources[name] = accountSource{
			vendor: vendor, baseURL: acc.BaseURL,
			lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			from:   "the env of the account in " + path,
		}
	}
	return sources, nil
}

// newWorkerAccounts builds the accounts a worker serves: those of the
// credentials file (only, when given, those of only), else those of only,
// else the default account; credentials from the file or lookup (the
// environment). Every account is checked before the worker starts: a
// file's account builds its client, an environment's must hold some
// vendor's credentials. It returns, per account, the vendors it serves.
func newWorkerAccounts(credentials string, only []string, lookup func(string) (string, bool), opts []adapter.Option) (*workerAccounts, map[string][]vendors.Name, error) {
	w := &workerAccounts{sources: map[string]accountSource{}, opts: opts, clients: map[string]*adapter.Client{}}
	for _, name := range only {
		if msg := accountMessage(name); msg != "" {
			return nil, nil, usagef("--accounts: %s", msg)
		}
	}
	serves := map[string][]vendors.Name{}
	if credentials != "" {
		file, err := readCredentials(credentials)
		if err != nil {
			return nil, nil, err
		}
		names := only
		if len(names) == 0 {
			names = slices.Sorted(func(yield func(string) bool) {
				for n := range file {
					if !yield(n) {
						return
					}
				}
			})
		}
		for _, name := range names {
			src, ok := file[name]
			if !ok {
				return nil, nil, usagef("--accounts: %s has no account %q", credentials, name)
			}
			c, err := src.client(src.vendor, name, opts)
			if err != nil {
				return nil, nil, usagef("--credentials: %v", err)
			}
			w.sources[name], w.names = src, append(w.names, name)
			w.clients[string(src.vendor)+"/"+name] = c
			serves[name] = []vendors.Name{src.vendor}
		}
		return w, serves, nil
	}
	names := only
	if len(names) == 0 {
		names = []string{defaultAccount}
	}
	for _, name := range names {
		src := envAccount(name, lookup)
		var problems []string
		for _, v := range vendors.Names() {
			c, err := src.client(v, name, opts)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			w.clients[string(v)+"/"+name] = c
			serves[name] = append(serves[name], v)
		}
		if len(serves[name]) == 0 {
			return nil, nil, usagef("account %q has no vendor's credentials: %s", name, strings.Join(problems, "; "))
		}
		w.sources[name], w.names = src, append(w.names, name)
	}
	return w, serves, nil
}
