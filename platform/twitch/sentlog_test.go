package twitch

import (
	"testing"
	"time"
)

func TestOwnChatLinesAreMarkedFromBot(t *testing.T) {
	c, err := New(Config{ClientID: "cid", Channel: "chan", Token: "tok"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := readEnvelope(t, "channel.chat.message")
	_, data, _, _ := mapNotification(m.Metadata.SubscriptionType, m.Payload.Event)
	chatter := data["user"].(map[string]any)["id"].(string)
	c.id.botID = chatter // the bot chats as this account (e.g. the broadcaster's own)
	now := time.Now()
	echo := func() bool {
		_, d, _, _ := mapNotification(m.Metadata.SubscriptionType, m.Payload.Event)
		c.noteOwnBadges(d)
		return d["from_bot"].(bool)
	}
	if echo() {
		t.Fatal("a line the bot never sent is marked from_bot")
	}
	c.sent.add(data["message"].(string), now)
	if !echo() {
		t.Fatal("the echo of a line the bot sent is not marked from_bot")
	}
	if echo() {
		t.Fatal("the same words typed again by the person are marked from_bot")
	}
	c.sent.add(data["message"].(string), now.Add(-sentLogTTL))
	if echo() {
		t.Fatal("a line sent longer ago than the TTL is marked from_bot")
	}
}
