package twitch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The events of issue 15: channel updates, moderation, polls, predictions,
// shoutouts, ad breaks, chat notifications and redemption updates. Each
// notification is read as a JSON object (numbers kept exact) and mapped to
// the design's shapes: every user is {id, username, display_name} (nil when
// Twitch sends none), times stay RFC 3339 strings.

// obj is one JSON object of a notification, read with UseNumber.
type obj map[string]any

func decodeObj(subType string, raw json.RawMessage) (obj, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("twitch: %s event: %w", subType, err)
	}
	if m == nil {
		return nil, fmt.Errorf("twitch: %s event: not an object", subType)
	}
	return m, nil
}

func (o obj) str(k string) string {
	switch v := o[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// num reads an integer; Twitch's examples sometimes quote numbers
// ("duration_seconds": "60"), so a numeric string counts too.
func (o obj) num(k string) (int64, bool) {
	var s string
	switch v := o[k].(type) {
	case json.Number:
		s = v.String()
	case string:
		s = v
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, false
		}
		n = int64(f)
	}
	return n, true
}

func (o obj) int(k string) int64 { n, _ := o.num(k); return n }

// boolean reads a boolean, also written as "true"/"false" (as in some of
// Twitch's examples).
func (o obj) boolean(k string) bool {
	switch v := o[k].(type) {
	case bool:
		return v
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	}
	return false
}

func (o obj) obj(k string) obj {
	m, _ := o[k].(map[string]any)
	return m
}

func (o obj) list(k string) []obj {
	l, _ := o[k].([]any)
	out := make([]obj, 0, len(l))
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// userAt is the user whose fields are prefix_user_id, _user_login and
// _user_name ("" prefix: user_id, user_login, user_name).
func (o obj) userAt(prefix string) any {
	if prefix != "" {
		prefix += "_"
	}
	return user(o.str(prefix+"user_id"), o.str(prefix+"user_login"), o.str(prefix+"user_name"))
}

// setStr sets data[k] to o's string k when Twitch sent one (not null, not "").
func (o obj) setStr(data map[string]any, k string) {
	if s := o.str(k); s != "" {
		data[k] = s
	}
}

// plain converts a JSON value of a notification to the Emit contract and
// folds each x_user_id/x_user_login/x_user_name triple into a user table x
// (user_id/user_login/user_name into user). Nulls are left out.
func plain(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	case string, bool:
		return v
	case []any:
		out := make([]any, 0, len(v))
		for _, x := range v {
			if p := plain(x); p != nil {
				out = append(out, p)
			}
		}
		return out
	case map[string]any:
		o := obj(v)
		out := map[string]any{}
		for k, x := range v {
			switch {
			case k == "user_id" || strings.HasSuffix(k, "_user_id"):
				p := strings.TrimSuffix(strings.TrimSuffix(k, "user_id"), "_")
				if u := o.userAt(p); u != nil {
					if p == "" {
						p = "user"
					}
					out[p] = u
				}
			case k == "user_login" || k == "user_name" || strings.HasSuffix(k, "_user_login") || strings.HasSuffix(k, "_user_name"):
				// folded with its _user_id
			default:
				if p := plain(x); p != nil {
					out[k] = p
				}
			}
		}
		return out
	}
	return nil
}

// seconds is b-a in whole seconds, when both are RFC 3339 times.
func seconds(a, b string) (int64, bool) {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return int64(tb.Sub(ta).Round(time.Second) / time.Second), true
}

// mapChannelNotification maps the subscription types of issue 15; ok=false
// for a type the client does not know.
func mapChannelNotification(subType string, raw json.RawMessage) (typ string, data map[string]any, ok bool, err error) {
	switch subType {
	case "channel.update", "channel.ban", "channel.unban", "channel.moderator.add", "channel.moderator.remove",
		"channel.poll.begin", "channel.poll.progress", "channel.poll.end",
		"channel.prediction.begin", "channel.prediction.progress", "channel.prediction.lock", "channel.prediction.end",
		"channel.shoutout.create", "channel.shoutout.receive", "channel.ad_break.begin",
		"channel.chat.notification", "channel.chat.message_delete", "channel.chat.clear":
	case "channel.channel_points_custom_reward_redemption.update":
		// The same event as .add, with the status it now has.
		_, data, ok, err := mapNotification("channel.channel_points_custom_reward_redemption.add", raw)
		return "twitch.channel_points.update", data, ok, err
	default:
		return "", nil, false, nil
	}
	o, err := decodeObj(subType, raw)
	if err != nil {
		return "", nil, false, err
	}
	switch subType {
	case "channel.update":
		labels := []any{}
		if l, ok := o["content_classification_labels"].([]any); ok {
			for _, x := range l {
				if s, ok := x.(string); ok {
					labels = append(labels, s)
				}
			}
		}
		return "twitch.channel.update", map[string]any{"title": o.str("title"), "language": o.str("language"),
			"game": o.str("category_name"), "game_id": o.str("category_id"),
			"content_classification_labels": labels}, true, nil
	case "channel.ban":
		data := map[string]any{"user": o.userAt(""), "moderator": o.userAt("moderator"), "reason": o.str("reason"),
			"banned_at": o.str("banned_at"), "is_permanent": o.boolean("is_permanent")}
		if end := o.str("ends_at"); end != "" {
			data["ends_at"] = end
			if s, ok := seconds(o.str("banned_at"), end); ok {
				data["seconds"] = s
			}
		}
		return "twitch.ban", data, true, nil
	case "channel.unban":
		return "twitch.unban", map[string]any{"user": o.userAt(""), "moderator": o.userAt("moderator")}, true, nil
	case "channel.moderator.add", "channel.moderator.remove":
		return "twitch.moderator." + strings.TrimPrefix(subType, "channel.moderator."),
			map[string]any{"user": o.userAt("")}, true, nil
	case "channel.poll.begin", "channel.poll.progress", "channel.poll.end":
		return "twitch.poll." + strings.TrimPrefix(subType, "channel.poll."), mapPoll(o), true, nil
	case "channel.prediction.begin", "channel.prediction.progress", "channel.prediction.lock", "channel.prediction.end":
		return "twitch.prediction." + strings.TrimPrefix(subType, "channel.prediction."), mapPrediction(o), true, nil
	case "channel.shoutout.create":
		return "twitch.shoutout.create", map[string]any{"to_broadcaster": o.userAt("to_broadcaster"),
			"moderator": o.userAt("moderator"), "viewer_count": o.int("viewer_count"), "started_at": o.str("started_at"),
			"cooldown_ends_at": o.str("cooldown_ends_at"), "target_cooldown_ends_at": o.str("target_cooldown_ends_at")}, true, nil
	case "channel.shoutout.receive":
		return "twitch.shoutout.receive", map[string]any{"from_broadcaster": o.userAt("from_broadcaster"),
			"viewer_count": o.int("viewer_count"), "started_at": o.str("started_at")}, true, nil
	case "channel.ad_break.begin":
		return "twitch.ad_break.begin", map[string]any{"duration_seconds": o.int("duration_seconds"),
			"started_at": o.str("started_at"), "is_automatic": o.boolean("is_automatic"),
			"requester": o.userAt("requester")}, true, nil
	case "channel.chat.notification":
		return "twitch.chat.notification", mapChatNotification(o), true, nil
	case "channel.chat.message_delete":
		return "twitch.chat.message_delete", map[string]any{"user": o.userAt("target"),
			"message_id": o.str("message_id")}, true, nil
	case "channel.chat.clear":
		return "twitch.chat.clear", map[string]any{}, true, nil
	}
	return "", nil, false, nil
}

func mapPoll(o obj) map[string]any {
	choices := []any{}
	for _, c := range o.list("choices") {
		choices = append(choices, map[string]any{"id": c.str("id"), "title": c.str("title"),
			"votes": c.int("votes"), "channel_points_votes": c.int("channel_points_votes")})
	}
	cp := o.obj("channel_points_voting")
	data := map[string]any{"id": o.str("id"), "title": o.str("title"), "choices": choices,
		"channel_points_voting": map[string]any{"enabled": cp.boolean("is_enabled"), "amount_per_vote": cp.int("amount_per_vote")},
		"started_at":            o.str("started_at")}
	for _, k := range []string{"ends_at", "status", "ended_at"} {
		o.setStr(data, k)
	}
	return data
}

func mapPrediction(o obj) map[string]any {
	outcomes := []any{}
	for _, c := range o.list("outcomes") {
		top := []any{}
		for _, p := range c.list("top_predictors") {
			tp := map[string]any{"user": p.userAt(""), "channel_points_used": p.int("channel_points_used")}
			if n, ok := p.num("channel_points_won"); ok {
				tp["channel_points_won"] = n
			}
			top = append(top, tp)
		}
		outcomes = append(outcomes, map[string]any{"id": c.str("id"), "title": c.str("title"), "color": c.str("color"),
			"users": c.int("users"), "channel_points": c.int("channel_points"), "top_predictors": top})
	}
	data := map[string]any{"id": o.str("id"), "title": o.str("title"), "outcomes": outcomes,
		"started_at": o.str("started_at")}
	for _, k := range []string{"locks_at", "locked_at", "winning_outcome_id", "status", "ended_at"} {
		o.setStr(data, k)
	}
	return data
}

// chatNoticeTypes are the notice types of channel.chat.notification whose
// details engine.TwitchEventSpecs documents; each shared_chat_ variant
// carries the same details and reports them under the same key.
var chatNoticeTypes = []string{"sub", "resub", "sub_gift", "community_sub_gift", "gift_paid_upgrade",
	"prime_paid_upgrade", "raid", "unraid", "pay_it_forward", "announcement", "bits_badge_tier", "charity_donation"}

func mapChatNotification(o obj) map[string]any {
	var bs []badge
	for _, b := range o.list("badges") {
		bs = append(bs, badge{SetID: b.str("set_id"), ID: b.str("id"), Info: b.str("info")})
	}
	anon := o.boolean("chatter_is_anonymous")
	notice := o.str("notice_type")
	data := map[string]any{"user": o.userAt("chatter"), "is_anonymous": anon, "notice_type": notice,
		"system_message": o.str("system_message"), "message": o.obj("message").str("text"),
		"message_id": o.str("message_id"), "color": o.str("color"), "badges": badgeList(bs)}
	if anon {
		data["user"] = nil
	}
	key := strings.TrimPrefix(notice, "shared_chat_")
	if d, ok := o[notice].(map[string]any); ok && key != "" {
		for _, k := range chatNoticeTypes {
			if k == key {
				data[key] = plain(d)
			}
		}
	}
	if src := o.userAt("source_broadcaster"); src != nil {
		data["source_broadcaster"] = src
		o.setStr(data, "source_message_id")
	}
	return data
}
