package web

import (
	"strings"
	"testing"
)

func TestFamilyPermissionsAreDescribedHostByHost(t *testing.T) {
	s := &Server{cfg: Config{Permissions: []Permission{
		{Name: "http:HOST", Family: "http:", Description: "Send requests to HOST", Risk: "high", Known: true},
		{Name: "overlay", Description: "Overlays", Risk: "medium", Known: true},
	}}}
	got := s.describePermissions([]string{"http:discord.com", "http:127.0.0.1", "http:"})
	byName := map[string]Permission{}
	for _, p := range got {
		byName[p.Name] = p
	}
	if d := byName["http:discord.com"]; !d.Known || d.Description != "Send requests to discord.com" || d.Risk != "high" || d.Family != "" {
		t.Fatalf("discord.com: %+v", d)
	}
	if d := byName["http:127.0.0.1"]; !strings.Contains(d.Description, "127.0.0.1 is this computer or your home network") {
		t.Fatalf("127.0.0.1: %+v", d)
	}
	if d := byName["http:"]; d.Known {
		t.Fatalf("an empty host is known: %+v", d)
	}
	if offered := s.offeredPermissions(); len(offered) != 1 || offered[0] != "overlay" {
		t.Fatalf("offered %v: a family pattern is not a permission of its own", offered)
	}
}
