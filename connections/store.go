package connections

import (
	"errors"
	"fmt"

	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/twitch"
)

// Store settings this package keeps.
const (
	// TwitchTokensSetting holds the Twitch token pair (twitch.Tokens).
	TwitchTokensSetting = "twitch_tokens"
	// SettingsSetting holds the connection settings made on the panel.
	SettingsSetting = "connections"
)

// TokenStore keeps the Twitch tokens in the engine's store. Forgetting them
// stores an empty pair.
type TokenStore struct{ Store *engine.Store }

var _ twitch.TokenStore = TokenStore{}

// LoadTokens implements twitch.TokenStore; an empty pair counts as none.
func (t TokenStore) LoadTokens() (twitch.Tokens, bool, error) {
	var tok twitch.Tokens
	err := t.Store.Setting(TwitchTokensSetting, &tok)
	if errors.Is(err, engine.ErrNotFound) {
		return tok, false, nil
	}
	if err != nil {
		return tok, false, err
	}
	return tok, tok.AccessToken != "", nil
}

// SaveTokens implements twitch.TokenStore.
func (t TokenStore) SaveTokens(tok twitch.Tokens) error {
	return t.Store.SetSetting(TwitchTokensSetting, tok)
}

// settings are what the Connections page stored. Flags win over them.
type settings struct {
	Twitch struct {
		ClientID string `json:"client_id"`
		Channel  string `json:"channel"`
	} `json:"twitch"`
	OBS struct {
		Set      bool   `json:"set"` // the page saved OBS settings (else: the default address)
		Addr     string `json:"addr"`
		Password string `json:"password"`
		Off      bool   `json:"off"` // "Disconnect" pressed
	} `json:"obs"`
}

func loadSettings(s *engine.Store) (settings, error) {
	var st settings
	err := s.Setting(SettingsSetting, &st)
	if errors.Is(err, engine.ErrNotFound) {
		return st, nil
	}
	return st, err
}

// StoredTwitch is the client id and channel the Connections page saved ("":
// none), for `starstreamer twitch login` run while the engine is stopped.
func StoredTwitch(s *engine.Store) (clientID, channel string, err error) {
	st, err := loadSettings(s)
	if err != nil {
		return "", "", fmt.Errorf("connections: read settings: %w", err)
	}
	return st.Twitch.ClientID, st.Twitch.Channel, nil
}
