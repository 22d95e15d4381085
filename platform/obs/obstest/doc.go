// Package obstest runs real OBS Studio instances for tests, headless under
// Xvfb, through the project's start-obs.sh (OBS 29 with obs-websocket 5.1;
// "Scene A" holds the color source "Red", "Scene B" holds "Blue").
//
// There are a few central types and functions: OBS is one private instance
// (its own websocket port, X display and OBS_ROOT directory); Start gives a
// test a running one that is stopped when the test ends; Shared is one OBS
// for a whole test binary, for tests that can share it; Require skips a test
// when OBS is not installed.
//
// # Caveats
//
//   - A missing obs or Xvfb binary skips the test locally but fails it when
//     the environment variable CI is "true": CI installs OBS, so there the
//     tests always run. A missing start-obs.sh always fails: set
//     STARSTREAMER_OBS_SCRIPT if the repository is not next to ../shared.
//   - OBS takes about a second to start and costs real CPU (it renders and,
//     when recording, encodes): share one with Shared where you can.
//   - OBS and Xvfb run in their own sessions (setsid), so they outlive a
//     test binary that dies before its cleanups run (a panic, a test
//     timeout). Each OBS therefore leaves a small watchdog shell that runs
//     "start-obs.sh stop" for it once the test process is gone.
//   - Stop kills OBS outright (OBS 29 has no graceful quit) and counts a
//     zombie as gone, since PID 1 of some containers reaps late.
//   - API-made changes are not saved: every Start begins from the same scenes.
package obstest
