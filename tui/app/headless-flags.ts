/**
 * The command line of the player without a screen that a quitting full-screen player starts to
 * keep its music playing (cli.ts): this player's own flags, so that it plays as this one would (its
 * daemon, folders, sound, latency, ReplayGain, song hook, settings file), but for those that belong
 * to the screen or to this run. A flag added to the player is handed on unless it is listed here.
 */

/** Flags the player without a screen is not given, and why. */
const NOT_HANDED_ON: ReadonlyMap<string, string> = new Map([
  ['name', 'it has a name of its own'],
  ['headless', 'given anyway'],
  ['taking-over', 'given anyway'],
  ['no-calls', 'given anyway: calls need a screen to be answered'],
  ['mic', 'no calls'],
  ['no-remote-control', 'the music is handed to it by remote control'],
  ['password', 'in its environment, not on a command line every user can read'],
  ['save', 'the settings were saved, if asked, by this run'],
  ['follow', 'it plays the music handed to it'],
  ['keep-playing', 'it has no screen to quit'],
  ['start-daemon', 'the daemon answers already'],
  ['log-file', 'a log of its own'],
  ['queue-file', "W's file is the screen's"],
  ['help', 'this run only'],
  ['version', 'this run only'],
]);

/** The flags for the player without a screen named `name`, from the flags this player was given (as parseArgs reads them). */
export function headlessFlags(given: Readonly<Record<string, string | boolean | undefined>>, name: string): string[] {
  const handedOn = Object.entries(given).flatMap(([flag, value]) => {
    if (NOT_HANDED_ON.has(flag) || value === undefined || value === false) return [];
    return value === true ? [`--${flag}`] : [`--${flag}`, value];
  });
  return ['--headless', '--taking-over', '--name', name, '--no-calls', ...handedOn];
}
