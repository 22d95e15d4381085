package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starstreamer/starstreamer/engine"
)

// ModulesResponse is the body of GET /api/modules.
type ModulesResponse struct {
	Totals  Totals               `json:"totals"`
	Modules []engine.ModuleState `json:"modules"`
	Ignored []engine.IgnoredFile `json:"ignored"` // what in the scripts folder is not a module, and why
}

// Totals counts the modules the panel shows at the top of /modules.
type Totals struct {
	Discovered int `json:"discovered"`
	Loaded     int `json:"loaded"`
	Enabled    int `json:"enabled"`
	Failed     int `json:"failed"`
}

func totals(mods []engine.ModuleState) Totals {
	t := Totals{Discovered: len(mods)}
	for _, m := range mods {
		if m.Status == engine.StatusRunning {
			t.Loaded++
		}
		if m.Enabled {
			t.Enabled++
		}
		if m.Status == engine.StatusFailed {
			t.Failed++
		}
	}
	return t
}

func (s *Server) getModules(c echo.Context) error {
	mods := s.cfg.Registry.Modules()
	ignored := s.cfg.Registry.Ignored()
	if ignored == nil {
		ignored = []engine.IgnoredFile{}
	}
	return c.JSON(http.StatusOK, ModulesResponse{Totals: totals(mods), Modules: mods, Ignored: ignored})
}

// moduleName reads and validates the :name path parameter.
func moduleName(c echo.Context) (string, error) {
	raw := c.Param("name")
	name, err := url.PathUnescape(raw)
	if err != nil || !engine.ValidModuleName(name) {
		return "", fail(http.StatusBadRequest, "%q is not a valid module name: use 1-64 letters, digits, _ and -", truncate(raw, 80))
	}
	return name, nil
}

func (s *Server) getModule(c echo.Context) error {
	name, err := moduleName(c)
	if err != nil {
		return err
	}
	st, ok := s.cfg.Registry.Module(name)
	if !ok {
		return fail(http.StatusNotFound, "unknown module %q", name)
	}
	return c.JSON(http.StatusOK, map[string]any{"module": st})
}

// ActionResponse is the body of a module action: the module's state after it,
// and the error when the action failed (a script that does not compile, say).
type ActionResponse struct {
	Module engine.ModuleState `json:"module"`
	Error  string             `json:"error,omitempty"`
}

func (s *Server) moduleAction(c echo.Context) error {
	name, err := moduleName(c)
	if err != nil {
		return err
	}
	reg, ctx := s.cfg.Registry, c.Request().Context()
	action := c.Param("action")
	var actErr error
	switch action {
	case "load":
		actErr = reg.Load(ctx, name)
	case "unload":
		actErr = reg.Unload(ctx, name)
	case "enable":
		actErr = reg.Enable(ctx, name)
	case "disable":
		actErr = reg.Disable(ctx, name)
	case "reload":
		actErr = reg.Reload(ctx, name)
	case "approve":
		var body ApproveRequest
		if c.Request().ContentLength != 0 {
			if err := decodeJSON(c, MaxEventBody, &body); err != nil {
				return err
			}
		}
		_, actErr = reg.Approve(ctx, name, body.Hash)
		if errors.Is(actErr, engine.ErrChanged) {
			st, _ := reg.Module(name)
			return c.JSON(http.StatusConflict, ActionResponse{Module: st, Error: actErr.Error()})
		}
	default:
		return fail(http.StatusNotFound, "unknown action %q: use load, unload, enable, disable, reload, approve or config", truncate(action, 40))
	}
	return s.actionResult(c, name, actErr)
}

// ApproveRequest is the optional body of POST /api/modules/{name}/approve:
// the hash of the version the streamer reviewed (GET .../review, or the
// inspection of a pasted script). When given, a module whose files changed
// since is refused with 409 instead of being approved unseen.
type ApproveRequest struct {
	Hash string `json:"hash"`
}

func (s *Server) actionResult(c echo.Context, name string, actErr error) error {
	st, ok := s.cfg.Registry.Module(name)
	switch {
	case errors.Is(actErr, engine.ErrUnknownModule), actErr == nil && !ok:
		return fail(http.StatusNotFound, "unknown module %q", name)
	case errors.Is(actErr, fs.ErrNotExist):
		return fail(http.StatusNotFound, "unknown module %q", name)
	case actErr != nil:
		return c.JSON(http.StatusUnprocessableEntity, ActionResponse{Module: st, Error: actErr.Error()})
	}
	return c.JSON(http.StatusOK, ActionResponse{Module: st})
}

// ConfigRequest is the body of PUT /api/modules/{name}/config: the overrides of
// the module's config defaults (an empty object removes them all).
type ConfigRequest struct {
	Config map[string]any `json:"config"`
}

func (s *Server) setConfig(c echo.Context) error {
	name, err := moduleName(c)
	if err != nil {
		return err
	}
	var req ConfigRequest
	if err := decodeJSON(c, MaxEventBody, &req); err != nil {
		return err
	}
	if req.Config == nil {
		return fail(http.StatusBadRequest, "field \"config\" must be an object of overrides, e.g. {\"config\": {\"cooldown\": 30}}")
	}
	if _, ok := s.cfg.Registry.Module(name); !ok {
		return fail(http.StatusNotFound, "unknown module %q", name)
	}
	err = s.cfg.Registry.SetConfig(c.Request().Context(), name, req.Config)
	if err != nil && !errors.Is(err, engine.ErrUnknownModule) {
		if st, ok := s.cfg.Registry.Module(name); ok && isConfigValidation(err) {
			return c.JSON(http.StatusBadRequest, ActionResponse{Module: st, Error: err.Error()})
		}
	}
	return s.actionResult(c, name, err)
}

// isConfigValidation tells the refusals of SetConfig (wrong key or kind) from a
// reload that failed after the overrides were stored.
func isConfigValidation(err error) bool {
	m := err.Error()
	return strings.Contains(m, "has no config key") || strings.Contains(m, " must be a ")
}

// ScriptRequest is the body of POST /api/scripts and /api/scripts/inspect.
type ScriptRequest struct {
	Code    string `json:"code"`
	Replace bool   `json:"replace"`
}

// Permission is a permission with the words the panel shows for it.
type Permission struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Known       bool   `json:"known"`
	Risk        string `json:"risk"`               // "low", "medium", "high"
	Reserved    bool   `json:"reserved,omitempty"` // declared ahead of its binding: grants nothing yet
	// Family, in the vocabulary, marks a pattern such as "http:HOST": a
	// module declares Family plus a value ("http:discord.com") and the
	// dialog shows Description with HOST replaced by the value.
	Family string `json:"family,omitempty"`
}

// InspectResponse says what a pasted script is before it is saved: what it
// declares and registers (read without effect) and its permissions in words.
type InspectResponse struct {
	engine.Inspection
	Permissions []Permission        `json:"permissions"`
	NameError   string              `json:"name_error,omitempty"`
	Exists      bool                `json:"exists"`
	Existing    *engine.ModuleState `json:"existing,omitempty"`
}

// InstallResponse is the body of a successful POST /api/scripts.
type InstallResponse struct {
	Module      engine.ModuleState `json:"module"`
	Permissions []Permission       `json:"permissions"`
}

func (s *Server) readScript(c echo.Context) (ScriptRequest, InspectResponse, error) {
	var req ScriptRequest
	if err := decodeJSON(c, MaxScriptBody, &req); err != nil {
		return req, InspectResponse{}, err
	}
	if strings.TrimSpace(req.Code) == "" {
		return req, InspectResponse{}, fail(http.StatusBadRequest, "field \"code\" is empty: paste a Lua script that starts with module{ name = \"...\" }")
	}
	if len(req.Code) > engine.MaxModuleBytes {
		return req, InspectResponse{}, fail(http.StatusRequestEntityTooLarge, "field \"code\" is %d bytes, at most %d allowed", len(req.Code), engine.MaxModuleBytes)
	}
	ins, err := s.cfg.Registry.Inspect(c.Request().Context(), []byte(req.Code))
	if err != nil {
		return req, InspectResponse{}, fail(http.StatusUnprocessableEntity, "the script does not load: %v", err)
	}
	info := ins.Module
	out := InspectResponse{Inspection: ins, Permissions: s.describePermissions(info.Permissions)}
	switch {
	case info.Name == "":
		out.NameError = "the script has no module{ name = \"...\" }: a pasted script must name itself"
	case !engine.ValidModuleName(info.Name):
		out.NameError = fmt.Sprintf("module name %q: use 1-64 letters, digits, _ and -", truncate(info.Name, 80))
	default:
		if st, ok := s.cfg.Registry.Module(info.Name); ok {
			out.Exists, out.Existing = true, &st
		} else if _, err := s.cfg.Registry.ReadSource(info.Name); err == nil {
			out.Exists = true
		}
	}
	return req, out, nil
}

func (s *Server) inspectScript(c echo.Context) error {
	_, out, err := s.readScript(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) installScript(c echo.Context) error {
	req, ins, err := s.readScript(c)
	if err != nil {
		return err
	}
	if ins.NameError != "" {
		return fail(http.StatusBadRequest, "%s", ins.NameError)
	}
	if ins.Exists && !req.Replace {
		return fail(http.StatusConflict, "a module named %q exists: confirm replacing it (\"replace\": true)", ins.Module.Name)
	}
	info, err := s.cfg.Registry.Install(c.Request().Context(), []byte(req.Code), req.Replace)
	switch {
	case errors.Is(err, engine.ErrModuleExists):
		return fail(http.StatusConflict, "a module named %q exists: confirm replacing it (\"replace\": true)", info.Name)
	case err != nil:
		return fail(http.StatusUnprocessableEntity, "install failed: %v", err)
	}
	st, _ := s.cfg.Registry.Module(info.Name)
	return c.JSON(http.StatusCreated, InstallResponse{Module: st, Permissions: s.describePermissions(info.Permissions)})
}

// ReviewResponse is the body of GET /api/modules/{name}/review: what the
// approval dialog shows.
type ReviewResponse struct {
	engine.Review
	Permissions []Permission `json:"permissions"`       // what its files declare, in words
	Added       []string     `json:"added_permissions"` // declared but not approved before
}

func (s *Server) reviewModule(c echo.Context) error {
	name, err := moduleName(c)
	if err != nil {
		return err
	}
	rv, err := s.cfg.Registry.Review(c.Request().Context(), name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail(http.StatusNotFound, "unknown module %q", name)
	case err != nil:
		return fail(http.StatusUnprocessableEntity, "the module does not load: %v", err)
	}
	added := []string{}
	for _, p := range rv.Module.Permissions {
		if !slices.Contains(rv.Approved, p) {
			added = append(added, p)
		}
	}
	return c.JSON(http.StatusOK, ReviewResponse{Review: rv, Permissions: s.describePermissions(rv.Module.Permissions), Added: added})
}

func (s *Server) getPermissions(c echo.Context) error {
	return c.JSON(http.StatusOK, s.describePermissions(s.offeredPermissions()))
}

// EventRequest is the body of POST /api/events.
type EventRequest struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// EventResponse is the body of 202 Accepted from POST /api/events and /api/chat.
type EventResponse struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Unhandled: no module listens to this type (the event is still on the
	// bus, and the panel's feed shows it marked so).
	Unhandled bool `json:"unhandled,omitempty"`
}

func (s *Server) postEvent(c echo.Context) error {
	var req EventRequest
	if err := decodeJSON(c, MaxEventBody, &req); err != nil {
		return err
	}
	ev, err := buildEvent(req, source(c))
	if err != nil {
		return err
	}
	if err := s.cfg.Bus.Emit(ev); err != nil {
		return fail(http.StatusBadRequest, "field \"type\": %v", err)
	}
	return c.JSON(http.StatusAccepted, EventResponse{ID: ev.ID, Type: ev.Type, Unhandled: !s.cfg.Bus.HasTarget(ev.Type)})
}

// buildEvent validates an API event: a valid type that is not the engine's own,
// and data that is a JSON object (or absent).
func buildEvent(req EventRequest, src string) (*engine.Event, error) {
	if err := engine.ValidateType(req.Type); err != nil {
		return nil, fail(http.StatusBadRequest, "field \"type\": %v", err)
	}
	if strings.HasPrefix(req.Type, "engine.") {
		return nil, fail(http.StatusBadRequest, "field \"type\": %q: engine.* events come only from the engine", req.Type)
	}
	data := map[string]any{}
	raw := bytes.TrimSpace(req.Data)
	if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if raw[0] != '{' {
			return nil, fail(http.StatusBadRequest, "field \"data\" must be a JSON object, e.g. {\"user\": \"someone\"}")
		}
		if err := json.Unmarshal(raw, &data); err != nil {
			return nil, fail(http.StatusBadRequest, "field \"data\": %v", err)
		}
	}
	return &engine.Event{Type: req.Type, Data: data, Source: src}, nil
}

// ChatRequest is the body of POST /api/chat: a message from a test user.
type ChatRequest struct {
	Name        string `json:"name"`
	Message     string `json:"message"`
	Broadcaster bool   `json:"broadcaster"`
	Moderator   bool   `json:"moderator"`
	VIP         bool   `json:"vip"`
	Subscriber  bool   `json:"subscriber"`
}

var loginRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,25}$`)

// MaxChatMessage is Twitch's limit on one chat message.
const MaxChatMessage = 500

// ChatEvent builds the twitch.chat.message event the chat console sends, in the
// shape the Twitch client produces.
func ChatEvent(req ChatRequest) (*engine.Event, error) {
	name := strings.TrimPrefix(strings.TrimSpace(req.Name), "@")
	if name == "" {
		name = "tester"
	}
	if !loginRE.MatchString(name) {
		return nil, fail(http.StatusBadRequest, "field \"name\": %q is not a Twitch login (1-25 letters, digits and _)", truncate(name, 40))
	}
	msg := strings.TrimSpace(req.Message)
	if msg == "" {
		return nil, fail(http.StatusBadRequest, "field \"message\" is empty")
	}
	if n := len([]rune(msg)); n > MaxChatMessage {
		return nil, fail(http.StatusBadRequest, "field \"message\" is %d characters, Twitch allows %d", n, MaxChatMessage)
	}
	login := strings.ToLower(name)
	user := engine.ChatUser{ID: "panel-" + login, Login: login, DisplayName: name,
		Broadcaster: req.Broadcaster, Moderator: req.Moderator, VIP: req.VIP, Subscriber: req.Subscriber}.Data()
	id := engine.NewEventID()
	return &engine.Event{ID: id, Type: "twitch.chat.message", Source: "panel",
		Data: engine.ChatMessageData(user, msg, "panel-"+id)}, nil
}

func (s *Server) postChat(c echo.Context) error {
	var req ChatRequest
	if err := decodeJSON(c, MaxEventBody, &req); err != nil {
		return err
	}
	ev, err := ChatEvent(req)
	if err != nil {
		return err
	}
	if err := s.cfg.Bus.Emit(ev); err != nil {
		return fail(http.StatusInternalServerError, "emit: %v", err)
	}
	return c.JSON(http.StatusAccepted, EventResponse{ID: ev.ID, Type: ev.Type})
}

func (s *Server) getChat(c echo.Context) error {
	msgs := []engine.ChatMessage{}
	if s.cfg.Chat != nil {
		msgs = append(msgs, s.cfg.Chat.Recent()...)
	}
	return c.JSON(http.StatusOK, msgs)
}

func (s *Server) getCommands(c echo.Context) error {
	cmds := s.cfg.Registry.Commands()
	if cmds == nil {
		cmds = []engine.CommandInfo{}
	}
	return c.JSON(http.StatusOK, cmds)
}

// StatusResponse is the body of GET /api/status: what the header shows.
type StatusResponse struct {
	Platforms map[string]string `json:"platforms"`
	UptimeS   float64           `json:"uptime_s"`
	Addr      string            `json:"addr"`
	Totals    Totals            `json:"totals"`
}

func (s *Server) getStatus(c echo.Context) error {
	return c.JSON(http.StatusOK, StatusResponse{
		Platforms: s.platforms(), UptimeS: time.Since(s.started).Seconds(), Addr: s.Addr(),
		Totals: totals(s.cfg.Registry.Modules()),
	})
}

// ModuleStats is one module's counters in GET /api/stats.
type ModuleStats struct {
	Name        string  `json:"name"`
	Status      string  `json:"status"`
	Handlers    int     `json:"handlers"`
	Invocations uint64  `json:"invocations"`
	Errors      uint64  `json:"errors"`
	Dropped     uint64  `json:"dropped"`
	HandlerMS   float64 `json:"handler_ms"` // handler time of the running version's subscriptions
	HeapBytes   int64   `json:"heap_estimate_bytes"`
}

// StatsResponse is the body of GET /api/stats.
type StatsResponse struct {
	At        time.Time         `json:"at"`
	UptimeS   float64           `json:"uptime_s"`
	Bus       engine.BusStats   `json:"bus"`
	Modules   []ModuleStats     `json:"modules"`
	WSClients int               `json:"ws_clients"`
	WSDropped uint64            `json:"ws_dropped"`
	Platforms map[string]string `json:"platforms"`
}

func (s *Server) stats() StatsResponse {
	bs := s.cfg.Bus.Stats()
	if bs.Subscriptions == nil {
		bs.Subscriptions = []engine.SubscriptionStats{}
	}
	ms := map[string]float64{}
	for _, sub := range bs.Subscriptions {
		if sub.Module != "" {
			ms[sub.Module] += sub.TotalMillis
		}
	}
	mods := s.cfg.Registry.Modules()
	out := StatsResponse{At: time.Now(), UptimeS: time.Since(s.started).Seconds(), Bus: bs, Modules: make([]ModuleStats, 0, len(mods)),
		WSClients: s.hub.clients(), WSDropped: s.hub.dropped.Load(), Platforms: s.platforms()}
	for _, m := range mods {
		out.Modules = append(out.Modules, ModuleStats{Name: m.Name, Status: m.Status, Handlers: m.Handlers, Invocations: m.Invocations,
			Errors: m.Errors, Dropped: m.Dropped, HandlerMS: ms[m.Name], HeapBytes: m.HeapEstimate})
	}
	return out
}

func (s *Server) getStats(c echo.Context) error { return c.JSON(http.StatusOK, s.stats()) }

func (s *Server) getTemplates(c echo.Context) error { return c.JSON(http.StatusOK, Templates()) }

// decodeJSON reads one JSON object of at most limit bytes into v, refusing
// unknown fields and trailing data with a message that names the problem.
func decodeJSON(c echo.Context, limit int64, v any) error {
	r := c.Request()
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return fail(http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json), not %q", truncate(ct, 60))
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fail(http.StatusRequestEntityTooLarge, "body is larger than %d bytes", limit)
		}
		return fail(http.StatusBadRequest, "read body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fail(http.StatusBadRequest, "body is not valid JSON for this call: %s", jsonErr(err))
	}
	if dec.More() {
		return fail(http.StatusBadRequest, "body has data after the JSON object")
	}
	return nil
}

func jsonErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %q must be a %s, not a JSON %s", te.Field, goKind(te.Type.Kind().String()), te.Value)
	}
	if errors.Is(err, io.EOF) {
		return "the body is empty"
	}
	m := err.Error()
	if f, ok := strings.CutPrefix(m, "json: unknown field "); ok {
		return "unknown field " + f
	}
	return strings.TrimPrefix(m, "json: ")
}

func goKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "map", "struct":
		return "object"
	case "slice", "array":
		return "list"
	}
	return "number"
}

// BackupResponse is the body of 200 from POST /api/backup.
type BackupResponse struct {
	Path string `json:"path"` // the backup file the engine wrote
}

// postBackup makes a backup of the store now (beside it, in backups/, the
// oldest beyond the configured number removed).
func (s *Server) postBackup(c echo.Context) error {
	if s.cfg.Backup == nil {
		return fail(http.StatusNotFound, "this engine makes no backups (it was started with a negative --backups, or on a store it did not open)")
	}
	path, err := s.cfg.Backup()
	if err != nil {
		s.log.Error("backup failed", "err", err)
		return fail(http.StatusInternalServerError, "backup failed: %v", err)
	}
	return c.JSON(http.StatusOK, BackupResponse{Path: path})
}
