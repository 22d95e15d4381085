package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/starstreamer/starstreamer/overlay"
)

// Overlays is what the panel needs of the overlay server (package overlay):
// it serves /overlay/... itself, behind each overlay's key; the panel's
// /api/overlays calls, behind the API token or the session, list and steer it.
type Overlays interface {
	http.Handler // GET /overlay/NAME?key=KEY and its WebSocket and media
	List() ([]overlay.Info, error)
	Info(name string) (overlay.Info, error)
	RotateKey(name string) (string, error)
	Pause(name string, paused bool) error
	Skip(name string) error
	Clear(name string) (int, error)
	Replay(name string, n int) (int, error)
	Test(name, kind string) (a *overlay.Alert, previewOnly bool, err error)
}

// OverlaysResponse is the body of GET /api/overlays.
type OverlaysResponse struct {
	Overlays  []overlay.Info `json:"overlays"`
	TestKinds []string       `json:"test_kinds"`
}

func (s *Server) overlayRoutes(e *echo.Echo) {
	if s.cfg.Overlays == nil {
		return
	}
	h := echo.WrapHandler(s.cfg.Overlays)
	e.GET(overlay.Prefix+"*", h)
	e.HEAD(overlay.Prefix+"*", h)
	api := e.Group("/api/overlays", s.needAuth)
	api.GET("", s.getOverlays)
	api.GET("/:name", s.getOverlay)
	api.POST("/:name/:action", s.overlayAction)
}

// needAuth requires the token or the session also on reads: the overlays'
// answers carry their keys.
func (s *Server) needAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, _ := s.authorized(c.Request()); !ok {
			return fail(http.StatusUnauthorized, "refused: this call needs the API token (Authorization: Bearer TOKEN) or the panel's session")
		}
		return next(c)
	}
}

func (s *Server) getOverlays(c echo.Context) error {
	list, err := s.cfg.Overlays.List()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, OverlaysResponse{Overlays: list, TestKinds: overlay.TestKinds()})
}

func overlayName(c echo.Context) (string, error) {
	name := c.Param("name")
	if !overlay.ValidName(name) {
		return "", fail(http.StatusBadRequest, "%q is not an overlay name", truncate(name, 80))
	}
	return name, nil
}

func (s *Server) getOverlay(c echo.Context) error {
	name, err := overlayName(c)
	if err != nil {
		return err
	}
	info, err := s.cfg.Overlays.Info(name)
	if err != nil {
		return fail(http.StatusNotFound, "%v", err)
	}
	return c.JSON(http.StatusOK, info)
}

// overlayAction: POST /api/overlays/NAME/{pause,resume,skip,clear,replay,test,rotate-key}.
// replay takes ?n= (default 1), test takes ?kind= (see test_kinds).
func (s *Server) overlayAction(c echo.Context) error {
	name, err := overlayName(c)
	if err != nil {
		return err
	}
	o := s.cfg.Overlays
	result := map[string]any{"overlay": name}
	switch action := c.Param("action"); action {
	case "pause", "resume":
		err = o.Pause(name, action == "pause")
	case "skip":
		err = o.Skip(name)
	case "clear":
		var n int
		n, err = o.Clear(name)
		result["cleared"] = n
	case "replay":
		n := 1
		if q := c.QueryParam("n"); q != "" {
			if n, err = strconv.Atoi(q); err != nil || n < 1 || n > 100 {
				return fail(http.StatusBadRequest, "n must be a number from 1 to 100")
			}
		}
		n, err = o.Replay(name, n)
		result["replayed"] = n
	case "test":
		a, previewOnly, err := o.Test(name, c.QueryParam("kind"))
		if err != nil {
			return fail(http.StatusBadRequest, "%v", err)
		}
		result["alert"], result["preview_only"] = a, previewOnly
	case "rotate-key":
		var k string
		k, err = o.RotateKey(name)
		result["key"] = k
		s.log.Info("overlay key rotated", "overlay", name, "via", source(c))
	default:
		return fail(http.StatusNotFound, "unknown overlay action %q (pause, resume, skip, clear, replay, test, rotate-key)", truncate(action, 40))
	}
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	info, err := o.Info(name)
	if err != nil {
		return fail(http.StatusNotFound, "%v", err)
	}
	result["info"] = info
	return c.JSON(http.StatusOK, result)
}
