#!/usr/bin/env node
/** The `streamtui` command. The player itself is the next piece of work; until then this says so. */
console.error('streamtui: the player is not written yet; talk to streamd with `nc 127.0.0.1 9090` meanwhile (see README.md)');
process.exit(1);
