package web

import "sort"

// permissionWords says in plain words what each capability lets a module do, for
// the approval dialog of a pasted script.
var permissionWords = map[string]struct{ words, risk string }{
	"twitch.chat":     {"Send messages in your Twitch chat, as your bot account", "medium"},
	"twitch.moderate": {"Moderate your chat: time out and ban users, delete messages", "high"},
	"twitch.clips":    {"Create clips of your stream", "low"},
	"obs.control":     {"Control OBS: switch scenes, show and hide sources, start and stop streaming and recording, send any OBS request", "high"},
	"overlay":         {"Put alerts and any text or pictures it chooses on your stream overlays (what viewers see), with sounds from your media folder", "medium"},
	"store":           {"Keep its own data (points, counters, settings) in the engine's database", "low"},
	"http":            {"Make web requests to other sites on the internet", "high"},
	"call":            {"Call functions that other modules export", "medium"},
}

// describePermissions puts each permission in words; an unknown one is flagged
// (the engine never grants it).
func describePermissions(perms []string) []Permission {
	out := make([]Permission, 0, len(perms))
	for _, p := range perms {
		w, ok := permissionWords[p]
		if !ok {
			out = append(out, Permission{Name: p, Description: "Unknown permission: no binding uses it, the engine grants nothing for it", Risk: "low"})
			continue
		}
		out = append(out, Permission{Name: p, Description: w.words, Known: true, Risk: w.risk})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
