package engine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"time"
)

// ApprovalsFile is the file beside the scripts that says which modules came
// from the panel and which permissions the streamer approved for each. It is
// hidden (Discover and the watcher skip dot files) and travels with the
// scripts: a copy of the folder, or the same folder started with a fresh
// store, keeps its approvals and its unapproved modules unapproved.
//
// The rule: a module listed here runs only when the permissions it declares
// equal the approved ones. A module not listed (a file the streamer wrote or
// copied into scripts/ by hand) runs with what it declares: whoever can write
// to scripts/ already controls the engine. The store remembers which modules
// came from the panel as well, so losing this file alone never runs a pasted
// module unasked: such a module awaits approval again.
const ApprovalsFile = ".approvals.json"

// Approval is the entry of one panel-installed module in ApprovalsFile.
type Approval struct {
	// Permissions the streamer approved; nil while the module awaits its first approval.
	Permissions []string `json:"permissions"`
	// Hash of the module's files when it was approved (sha256, as Source.Hash).
	Hash       string    `json:"hash,omitempty"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	Installed  time.Time `json:"installed,omitzero"`
}

type approvalsDoc struct {
	Comment string               `json:"_comment"`
	Modules map[string]*Approval `json:"modules"`
}

const approvalsComment = "Written by StarStreamer: modules installed from the panel and the permissions approved for them. See docs/trust.md."

// readApprovals reads ApprovalsFile; a missing file is empty. A file that
// cannot be read or parsed is an error: the caller treats every module that
// needs approval as unapproved.
func (r *Registry) readApprovals() (map[string]*Approval, error) {
	root, err := os.OpenRoot(r.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("open scripts folder: %w", err)
	}
	defer root.Close()
	fi, err := root.Lstat(ApprovalsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*Approval{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ApprovalsFile, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > 4<<20 {
		return nil, fmt.Errorf("%s: not a regular file of at most 4 MiB", ApprovalsFile)
	}
	data, err := root.ReadFile(ApprovalsFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ApprovalsFile, err)
	}
	var doc approvalsDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s in the scripts folder: %w", ApprovalsFile, err)
	}
	if doc.Modules == nil {
		doc.Modules = map[string]*Approval{}
	}
	for name, a := range doc.Modules {
		if a == nil {
			doc.Modules[name] = &Approval{}
		}
	}
	return doc.Modules, nil
}

// updateApprovals changes ApprovalsFile atomically (a temporary file, then a
// rename). Registry.approvalsMu serialises writers.
func (r *Registry) updateApprovals(fn func(map[string]*Approval)) error {
	r.approvalsMu.Lock()
	defer r.approvalsMu.Unlock()
	mods, err := r.readApprovals()
	if err != nil {
		return err
	}
	fn(mods)
	data, err := json.MarshalIndent(approvalsDoc{Comment: approvalsComment, Modules: mods}, "", "  ")
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(r.cfg.Dir)
	if err != nil {
		return fmt.Errorf("open scripts folder: %w", err)
	}
	defer root.Close()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := ApprovalsFile + "." + hex.EncodeToString(rnd[:]) + ".tmp"
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", ApprovalsFile, err)
	}
	_, werr := f.Write(append(data, '\n'))
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = root.Rename(tmp, ApprovalsFile)
	}
	if werr != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("write %s: %w", ApprovalsFile, werr)
	}
	return nil
}

// approvalState is what the gate needs to know about one module.
type approvalState struct {
	needed   bool     // the module came from the panel
	approved []string // the permissions approved (nil: none yet)
	hash     string
	err      error // the approvals file could not be read
}

// approval looks module name up in ApprovalsFile and the store. Approvals made
// before ApprovalsFile existed (kept only in the store) are moved into it.
func (r *Registry) approval(name string) approvalState {
	ms := r.settings(name)
	mods, err := r.readApprovals()
	if err != nil {
		r.log.Warn("cannot read the approvals file; modules installed from the panel wait for approval", "err", err)
		return approvalState{needed: true, err: err}
	}
	a, listed := mods[name]
	if !listed && ms.NeedsApproval && ms.ApprovedHash != "" {
		// approved by an earlier version that kept approvals in the store only
		moved := &Approval{Permissions: sortedPerms(ms.Approved), Hash: ms.ApprovedHash, ApprovedAt: time.Now()}
		if err := r.updateApprovals(func(m map[string]*Approval) { m[name] = moved }); err == nil {
			_ = r.cfg.Store.UpdateModuleSettings(name, func(ms *ModuleSettings) { ms.Approved, ms.ApprovedHash = nil, "" })
			a, listed = moved, true
		}
	}
	if !listed {
		return approvalState{needed: ms.NeedsApproval}
	}
	return approvalState{needed: true, approved: a.Permissions, hash: a.Hash}
}

// allows reports whether a module declaring perms may go live.
func (a approvalState) allows(perms []string) bool {
	return !a.needed || (a.approved != nil && a.err == nil && samePermissions(perms, a.approved))
}

func sortedPerms(p []string) []string {
	out := slices.Clone(p)
	if out == nil {
		out = []string{}
	}
	sort.Strings(out)
	return slices.Compact(out)
}
