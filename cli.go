package main

import (
	"fmt"
	"io"
	"strings"
)

// command is one subcommand of starstreamer: how it is called, what it does
// and which flags it reads (each command's --help lists only those).
type command struct {
	name    string   // as typed: "run", "twitch login"
	args    string   // positional arguments, e.g. "[path]"
	summary string   // one line, for the list of commands
	about   string   // what it does, for its own help
	flags   []string // the flags it reads; nil: every flag
}

var commands = []*command{
	{name: "run", summary: "run the engine (the default command)",
		about: `Runs the engine: loads every module of the scripts folder (and reloads
each one when its file is saved), connects to Twitch, OBS and Discord when they
are configured, and serves the web panel and API on --addr. Stop it with Ctrl-C:
every module's shutdown() runs before it exits.`},
	{name: "twitch login", summary: "log in to Twitch with a device code and store the tokens",
		about: `Prints a URL and a code: open the URL, sign in as the account the bot
chats as (the broadcaster's own, or a bot account), enter the code. The tokens
are kept in the store (--data); the engine refreshes them by itself. Run it
while the engine is stopped: the store is open in one process at a time.`,
		flags: []string{"data", "twitch-client-id", "twitch-channel", "twitch-auth-url", "twitch-api-url", "log-level"}},
	{name: "token", summary: "print the web API token (for Stream Deck buttons and scripts)",
		about: `Prints the token every API call needs (Authorization: Bearer TOKEN) on
stdout. While the engine runs it reads the copy the engine leaves beside the
store, and prints on stderr a one-time link that signs a browser in to the
panel at --addr (valid once, for 15 minutes).`,
		flags: []string{"data", "addr"}},
	{name: "test", args: "[path]", summary: "run the *_test.lua script tests",
		about: `Runs script tests. path is a test file (scripts/dice_test.lua), a module
(scripts/dice.lua or scripts/rpg: its tests) or a folder (every *_test.lua
below it); the default is the scripts folder. Exits 1 when a test failed.
See docs/script-tests.md.`,
		flags: []string{"scripts"}},
	{name: "backup", summary: "write a backup of the store into backups/ beside it",
		about: `Writes a consistent copy of the store (--data) into the backups folder beside
it and prints its path; the oldest backups beyond --backups are removed. While
an engine runs on the store, it asks that engine (on --addr, with the API
token the engine left beside the store) to write it. The engine itself backs
up at start and once a day. To restore: stop the engine, copy a backup over
the store file (see README).`,
		flags: []string{"data", "addr", "backups"}},
	{name: "help", args: "[command]", summary: "print this help, or a command's help",
		about: `Prints the list of commands, or what one command does and its flags.`,
		flags: []string{}},
}

// findCommand returns the command named name, or nil.
func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// takes reports whether c reads the flag name.
func (c *command) takes(name string) bool {
	if c.flags == nil {
		return true
	}
	for _, f := range c.flags {
		if f == name {
			return true
		}
	}
	return false
}

// printOverview writes the list of commands and the flags of run (the
// default command).
func printOverview(w io.Writer) {
	fmt.Fprintln(w, "Usage: starstreamer [command] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "`starstreamer help COMMAND` (or `starstreamer COMMAND --help`) tells more about one.")
	fmt.Fprintln(w, "Every flag can also be set with STARSTREAMER_<FLAG>, e.g. STARSTREAMER_SCRIPTS.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags of run:")
	printFlags(w, findCommand("run"))
}

// printHelp writes what c does and its flags.
func printHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: starstreamer %s", c.name)
	if len(c.flags) != 0 || c.flags == nil {
		fmt.Fprint(w, " [flags]")
	}
	if c.args != "" {
		fmt.Fprint(w, " "+c.args)
	}
	fmt.Fprintf(w, "\n\n%s\n", c.about)
	if len(c.flags) != 0 || c.flags == nil {
		fmt.Fprintln(w, "\nFlags (each also read from STARSTREAMER_<FLAG>):")
		printFlags(w, c)
	}
}

func printFlags(w io.Writer, c *command) {
	fs, _ := newFlagSet(c)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}
