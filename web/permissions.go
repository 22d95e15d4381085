package web

import (
	"net/netip"
	"sort"
	"strings"
)

// describePermissions puts each permission in the words of Config.Permissions
// (the binding table's vocabulary); an unknown one is flagged (the engine
// never grants it), a reserved one says that no binding uses it yet.
func (s *Server) describePermissions(perms []string) []Permission {
	byName := make(map[string]Permission, len(s.cfg.Permissions))
	for _, p := range s.cfg.Permissions {
		byName[p.Name] = p
	}
	out := make([]Permission, 0, len(perms))
	for _, p := range perms {
		w, ok := byName[p]
		if !ok {
			w, ok = s.familyMember(p)
		}
		if !ok {
			out = append(out, Permission{Name: p, Description: "Unknown permission: no binding uses it, the engine grants nothing for it", Risk: "low"})
			continue
		}
		w.Known = true
		out = append(out, w)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// offeredPermissions are the permissions the panel lists: the vocabulary
// without the reserved names.
func (s *Server) offeredPermissions() []string {
	var names []string
	for _, p := range s.cfg.Permissions {
		if !p.Reserved && p.Family == "" {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	return names
}

// familyMember describes p as a value of a family of the vocabulary
// ("http:discord.com" of "http:HOST"), host by host: a host on this computer
// or the home network says so.
func (s *Server) familyMember(p string) (Permission, bool) {
	for _, f := range s.cfg.Permissions {
		v, ok := strings.CutPrefix(p, f.Family)
		if f.Family == "" || !ok || v == "" {
			continue
		}
		f.Name, f.Family = p, ""
		f.Description = strings.ReplaceAll(f.Description, "HOST", v)
		if a, err := netip.ParseAddr(v); v == "localhost" || err == nil && (a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast()) {
			f.Description += ". " + v + " is this computer or your home network: the module can reach what listens there"
		}
		return f, true
	}
	return Permission{}, false
}
