// Package twitchtest is an in-process fake of Twitch for tests: the
// EventSub WebSocket (with the real metadata/payload envelopes), the
// subscriptions endpoint, the Helix calls StarStreamer makes and the OAuth
// endpoints (device code, token, validate). It listens on a loopback
// address and records every HTTP call.
//
// There are a few central types: Server (the fake: URLs, users, tokens,
// scripted failures, recorded calls) and Session (one WebSocket connection:
// send keepalives, notifications, reconnect, revocation, close codes).
//
// # Using it
//
//	srv := twitchtest.New(twitchtest.Options{})
//	t.Cleanup(srv.Close)
//	srv.AddUser(twitchtest.User{ID: "1001", Login: "streamer", DisplayName: "Streamer"})
//	srv.AddToken(twitchtest.Token{Access: "tok", Refresh: "ref", UserID: "1001", Login: "streamer", Scopes: twitch.Scopes})
//	cfg := twitch.Config{ClientID: "cid", Channel: "streamer", Token: "tok",
//		AuthURL: srv.AuthURL(), APIURL: srv.HelixURL(),
//		EventSubURL: srv.EventSubURL(), SubscriptionsURL: srv.SubscriptionsURL()}
//	// … start the client, then:
//	ss, _ := srv.NextSession(5 * time.Second)   // the client connected
//	ss.WaitSubscriptions(32, 5*time.Second)     // and subscribed (every type the token has scopes for)
//	ss.SendFile("platform/twitch/testdata/channel.follow.json")
//	srv.WaitFor(5*time.Second, func() bool { return len(srv.ChatMessages()) == 1 })
//
// Files: server.go (Server, its options and scripting), plumbing.go
// (recording, authentication, JSON answers), helix.go (users, streams, chat,
// clips), subscriptions.go (EventSub subscriptions), oauth.go (device flow,
// tokens), session.go (the WebSocket session), and the Helix actions below.
//
// Endpoints: /ws (WebSocket), /eventsub/subscriptions and
// /helix/eventsub/subscriptions (POST, GET, DELETE), /helix/users,
// /helix/streams, /helix/chat/messages, /helix/clips (POST and GET),
// /oauth2/device, /oauth2/token, /oauth2/validate, /oauth2/revoke, and the
// Helix actions (helix_actions.go: their state and scripting; helix_moderation.go,
// helix_channel.go, helix_rewards.go, helix_stream.go, helix_people.go: the
// handlers): /helix/moderation/bans (POST, DELETE),
// /helix/moderation/chat, /helix/chat/settings, /helix/chat/announcements,
// /helix/chat/shoutouts (with Twitch's 2-minute and 60-minute cooldowns as
// 429s that leave points in the bucket, and 400 when not live), /helix/whispers,
// /helix/channels (PATCH), /helix/games, /helix/search/categories,
// /helix/polls, /helix/predictions (GET, POST, PATCH),
// /helix/channel_points/custom_rewards (GET, POST, PATCH, DELETE; only the
// Client-Id that created a reward may change it) and …/redemptions (PATCH),
// /helix/raids, /helix/streams/markers (live only), /helix/channels/commercial
// (live only), /helix/channels/vips, /helix/moderation/moderators,
// /helix/channels/followers, /helix/subscriptions. Each checks the token's
// scopes (401 "Missing scope: …"), the ids against the token's user (403),
// required parameters and ranges (400), as Twitch's API reference documents.
//
// Scripting: FailNext and RateLimitNext (a 429 with Ratelimit-Reset) answer
// the next matching request; RevokeToken makes a token answer 401 (its
// refresh token still works, once); RefuseSubscription refuses one type;
// DropNextChat answers is_sent=false; SetBucket makes the Ratelimit-*
// headers count down a real bucket (429 when empty); AddGame, AddReward,
// AddRedemption, AddFollower and AddSubscriber seed the actions' state, and
// Bans, Channel, Rewards, RedemptionStatus and HasRole read it back; SetClipDelay delays clips; SetStream
// marks a channel live; SetDeviceFlow scripts a device-code login
// (slow_down, authorization_pending, denied, expired, approved), and
// ApproveDevice, DenyDevice and ExpireDevice play the user of a Manual flow.
// Session: SendKeepalive, SendChatMessage, Notify, SendEnvelope, SendFile, Resend (same
// message_id again), Reconnect (session_reconnect; the new session keeps
// the subscriptions), Revoke, StopKeepalives, Close(4000–4007).
//
// # Caveats
//
//   - Notify and SendFile send even without a matching subscription (real
//     Twitch would not); check Subscriptions when that matters.
//   - keepalive_timeout_seconds is whole seconds, as on Twitch; use
//     Options.KeepaliveInterval to send keepalives faster than announced.
//   - A client that sends any data frame is closed with 4001, as on Twitch.
//   - Tokens never expire on their own unless Token.ExpiresIn says so.
package twitchtest
