// Package obstest runs real OBS Studio instances for tests, headless under
// Xvfb. It needs nothing but the installed programs: it writes OBS's whole
// configuration itself (a profile with a 640x360 canvas, obs-websocket 5 on
// a free loopback port with Password, and a scene collection where "Scene A"
// holds the colour source "Red" and "Scene B" holds "Blue"), starts Xvfb on
// a display Xvfb picks (-displayfd) and OBS under a private HOME, and waits
// for the websocket port.
//
// There are a few central types and functions: OBS is one private instance
// (its own websocket port, X display and Root directory holding its HOME,
// logs, pid files and recordings); Start gives a test a running one that is
// stopped when the test ends; Shared is one OBS for a whole test binary, for
// tests that can share it; Require skips a test when OBS cannot run here, and
// Missing says why.
//
// # Caveats
//
//   - A missing obs or Xvfb binary, or an OBS without the obs-websocket
//     plugin (Debian's obs-plugins package), skips the test locally but fails
//     it when the environment variable CI is "true": CI installs OBS, so
//     there the tests always run.
//   - Written for OBS 29 (obs-websocket 5.1, configured in global.ini); the
//     JSON file later obs-websocket versions read is written too, and the
//     port and password are also given on the command line.
//   - OBS takes about a second to start and costs real CPU (it renders and,
//     when recording, encodes): share one with Shared where you can.
//   - OBS and Xvfb run in their own sessions (setsid), so they outlive a
//     test binary that dies before its cleanups run (a panic, a test
//     timeout). Each OBS therefore leaves a small watchdog shell that kills
//     them, by the pids recorded under Root, once the test process is gone.
//   - Stop kills OBS outright (OBS 29 has no graceful quit) and counts a
//     zombie as gone, since PID 1 of some containers reaps late.
//   - API-made changes are not saved: every Start begins from the same scenes.
//   - obs-websocket listens on every interface (--websocket_ipv4_only binds
//     0.0.0.0); the tests reach it on 127.0.0.1, protected by Password.
package obstest
