package obs

import "sync"

// itemCache remembers scene items both ways: (scene, item id) → source name,
// to name the source of SceneItemEnableStateChanged, and (scene, source) →
// item id, to address SetSceneItemEnabled. Item ids are stable within a scene
// for the life of an OBS process; the cache is cleared on every (re)connect
// and kept current from the scene item, rename and removal events.
type itemCache struct {
	mu     sync.Mutex
	names  map[sceneItem]string // (scene, id) → source
	ids    map[sceneSource]int64
	loaded map[string]bool // scenes whose whole item list is in names
}

type sceneItem struct {
	scene string
	id    int64
}

type sceneSource struct {
	scene, source string
}

func newItemCache() *itemCache {
	c := &itemCache{}
	c.reset()
	return c
}

func (c *itemCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names = map[sceneItem]string{}
	c.ids = map[sceneSource]int64{}
	c.loaded = map[string]bool{}
}

func (c *itemCache) sourceName(scene string, id int64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.names[sceneItem{scene, id}]
	return n, ok
}

func (c *itemCache) sceneLoaded(scene string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loaded[scene]
}

func (c *itemCache) itemID(scene, source string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.ids[sceneSource{scene, source}]
	return id, ok
}

// setScene replaces what is known of scene's items by the full list items
// (id → source name).
func (c *itemCache) setScene(scene string, items map[int64]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropSceneLocked(scene)
	for id, name := range items {
		c.names[sceneItem{scene, id}] = name
	}
	c.loaded[scene] = true
}

func (c *itemCache) add(scene, source string, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names[sceneItem{scene, id}] = source
}

func (c *itemCache) setID(scene, source string, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids[sceneSource{scene, source}] = id
}

func (c *itemCache) remove(scene, source string, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.names, sceneItem{scene, id})
	k := sceneSource{scene, source}
	if c.ids[k] == id {
		delete(c.ids, k)
	}
}

func (c *itemCache) dropScene(scene string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropSceneLocked(scene)
}

func (c *itemCache) dropSceneLocked(scene string) {
	for k := range c.names {
		if k.scene == scene {
			delete(c.names, k)
		}
	}
	for k := range c.ids {
		if k.scene == scene {
			delete(c.ids, k)
		}
	}
	delete(c.loaded, scene)
}

// forgetID drops one (scene, source) → id entry, after OBS said it is stale.
func (c *itemCache) forgetID(scene, source string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.ids, sceneSource{scene, source})
}
