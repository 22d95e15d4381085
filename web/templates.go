package web

import "github.com/starstreamer/starstreamer/engine"

// Template is a test event the /events page can fire, prefilled in the editor.
type Template struct {
	Name  string         `json:"name"`  // e.g. "follow"
	Label string         `json:"label"` // e.g. "Follow"
	Type  string         `json:"type"`
	Data  map[string]any `json:"data"`
}

func tuser(login, name string) map[string]any {
	return map[string]any{"id": "panel-" + login, "username": login, "display_name": name}
}

// Templates returns one test event per event type the panel offers, with data in
// the shapes of docs/events.md (a test checks each against the platforms'
// EventSpecs). Each call returns fresh maps.
func Templates() []Template {
	contrib := func() []any {
		return []any{
			map[string]any{"user": tuser("generous_gary", "Generous_Gary"), "type": "bits", "total": 500},
			map[string]any{"user": tuser("subby_sam", "SubbySam"), "type": "subscription", "total": 1000},
		}
	}
	return []Template{
		{Name: "chat", Label: "Chat message", Type: "twitch.chat.message", Data: engine.ChatMessageData(
			engine.ChatUser{ID: "panel-viewer42", Login: "viewer42", DisplayName: "Viewer42"}.Data(),
			"!hello", "panel-msg-1")},
		{Name: "follow", Label: "Follow", Type: "twitch.follow", Data: map[string]any{
			"user": tuser("new_follower", "New_Follower"), "followed_at": "2025-01-01T20:00:00Z",
		}},
		{Name: "sub", Label: "Subscription", Type: "twitch.subscription", Data: map[string]any{
			"user": tuser("loyal_viewer", "LoyalViewer"), "tier": "1000", "is_gift": false, "resub": true, "months": 3, "message": "Love the stream!",
		}},
		{Name: "gift", Label: "Gift subs", Type: "twitch.gift", Data: map[string]any{
			"user": tuser("santa", "Santa"), "tier": "1000", "total": 5, "cumulative": 25, "is_anonymous": false,
		}},
		{Name: "raid", Label: "Raid", Type: "twitch.raid", Data: map[string]any{
			"from_broadcaster": tuser("friendly_streamer", "FriendlyStreamer"), "viewers": 42,
		}},
		{Name: "cheer", Label: "Cheer", Type: "twitch.cheer", Data: map[string]any{
			"user": tuser("bits_fan", "Bits_Fan"), "bits": 100, "message": "Cheer100 great play!", "is_anonymous": false,
		}},
		{Name: "points", Label: "Channel points", Type: "twitch.channel_points", Data: map[string]any{
			"user": tuser("points_spender", "PointsSpender"), "reward": map[string]any{"id": "reward-1", "title": "Hydrate!", "cost": 500, "prompt": "Make the streamer drink water"},
			"input": "", "redemption_id": "redemption-1", "status": "unfulfilled", "redeemed_at": "2025-01-01T20:00:00Z",
		}},
		{Name: "hype_train", Label: "Hype train", Type: "twitch.hype_train.begin", Data: map[string]any{
			"id": "panel-hype-train-1", "level": 1, "total": 1500, "progress": 1500, "goal": 2000, "top_contributions": contrib(),
			"type": "regular", "is_shared_train": false, "started_at": "2025-01-01T20:00:00Z", "expires_at": "2025-01-01T20:05:00Z",
		}},
		{Name: "timeout", Label: "Timeout", Type: "twitch.ban", Data: map[string]any{
			"user": tuser("rude_viewer", "Rude_Viewer"), "moderator": tuser("kind_mod", "Kind_Mod"), "reason": "spam",
			"banned_at": "2025-01-01T20:00:00Z", "ends_at": "2025-01-01T20:10:00Z", "seconds": 600, "is_permanent": false,
		}},
		{Name: "channel_update", Label: "Title/game change", Type: "twitch.channel.update", Data: map[string]any{
			"title": "Speedrun practice", "language": "en", "game": "Celeste", "game_id": "panel-game-1",
			"content_classification_labels": []any{},
		}},
		{Name: "poll", Label: "Poll started", Type: "twitch.poll.begin", Data: map[string]any{
			"id": "panel-poll-1", "title": "Which level next?", "started_at": "2025-01-01T20:00:00Z", "ends_at": "2025-01-01T20:02:00Z",
			"choices": []any{
				map[string]any{"id": "panel-choice-1", "title": "Forest", "votes": 0, "channel_points_votes": 0},
				map[string]any{"id": "panel-choice-2", "title": "Summit", "votes": 0, "channel_points_votes": 0},
			},
			"channel_points_voting": map[string]any{"enabled": false, "amount_per_vote": 0},
		}},
		{Name: "shoutout", Label: "Shoutout received", Type: "twitch.shoutout.receive", Data: map[string]any{
			"from_broadcaster": tuser("friendly_streamer", "FriendlyStreamer"), "viewer_count": 120, "started_at": "2025-01-01T20:00:00Z",
		}},
		{Name: "ad_break", Label: "Ad break", Type: "twitch.ad_break.begin", Data: map[string]any{
			"duration_seconds": 90, "started_at": "2025-01-01T20:00:00Z", "is_automatic": true, "requester": tuser("streamer", "Streamer"),
		}},
		{Name: "obs_scene", Label: "OBS scene change", Type: "obs.scene_changed", Data: map[string]any{
			"scene_name": "Gameplay", "previous_scene": "Starting Soon",
		}},
		{Name: "obs_stream", Label: "OBS stream started", Type: "obs.stream_started", Data: map[string]any{
			"output_active": true, "output_state": "OBS_WEBSOCKET_OUTPUT_STARTED",
		}},
		{Name: "discord_message", Label: "Discord message", Type: "discord.message", Data: map[string]any{
			"author": map[string]any{"id": "panel-discord-user", "username": "viewer", "display_name": "Viewer", "roles": []any{},
				"bot": false, "owner": false, "broadcaster": false, "moderator": false, "vip": false, "subscriber": false},
			"channel": "panel-discord-channel", "content": "!hello", "message_id": "panel-discord-message", "guild": "panel-discord-guild",
		}},
	}
}
