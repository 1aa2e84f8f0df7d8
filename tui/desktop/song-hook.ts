/**
 * `on_song_change`: a command run at each new song with the song's fields in its environment
 * (STREAMTUI_TITLE, STREAMTUI_ARTIST, STREAMTUI_FILE, ...), for scrobblers and notifications, as
 * cmus's status_display_program and ncmpcpp's execute_on_song_change are. At most one runs at a
 * time: songs that change meanwhile leave only the latest to run after it. One that runs past
 * 10 s is killed. Failures go to the log; the player never waits for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { SongInfo } from '../../common/protocol/records.js';

export const HOOK_TIMEOUT_MS = 10_000;
/** Kept of what the command says on stderr, for the log line of a failure. */
const STDERR_KEEP = 400;

/** The environment the command gets for `song` on `device`. */
export function hookEnvironment(song: SongInfo, device: string): Record<string, string> {
  const env: Record<string, string> = {
    STREAMTUI_FILE: song.file,
    STREAMTUI_TITLE: song.title ?? '',
    STREAMTUI_ARTIST: song.artist ?? '',
    STREAMTUI_ALBUM: song.album ?? '',
    STREAMTUI_DURATION: song.duration.toFixed(3),
    STREAMTUI_SONG_ID: String(song.id),
    STREAMTUI_DEVICE: device,
  };
  if (song.track !== undefined) env['STREAMTUI_TRACK'] = String(song.track);
  if (song.year !== undefined) env['STREAMTUI_YEAR'] = String(song.year);
  return env;
}

export class SongHook {
  private running: ChildProcess | undefined;
  private waiting: SongInfo | undefined;

  constructor(
    private readonly command: string,
    private readonly device: string,
    private readonly log: (text: string) => void,
    private readonly timeoutMs = HOOK_TIMEOUT_MS,
  ) {}

  songChanged(song: SongInfo): void {
    if (this.running) {
      this.waiting = song;
      return;
    }
    this.run(song);
  }

  /** Kills a command still running (quitting), with what it started, as the deadline does. */
  close(): void {
    this.waiting = undefined;
    if (this.running) killGroup(this.running);
  }

  private run(song: SongInfo): void {
    const child = spawn('/bin/sh', ['-c', this.command], {
      env: { ...process.env, ...hookEnvironment(song, this.device) },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true, // its own process group: a kill takes what it started too
    });
    this.running = child;
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_KEEP)));
    const timer = setTimeout(() => {
      this.log(`on_song_change ran past ${this.timeoutMs / 1000} s for ${song.file}: killed`);
      killGroup(child);
    }, this.timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      if (this.running !== child) return;
      this.running = undefined;
      const next = this.waiting;
      this.waiting = undefined;
      if (next) this.run(next);
    };
    child.once('error', (error) => {
      this.log(`on_song_change could not run: ${error.message}`);
      done();
    });
    child.once('close', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') {
        const said = stderr.trim().split('\n').pop() ?? '';
        this.log(
          `on_song_change failed for ${song.file} (${code === null ? `signal ${signal}` : `exit ${code}`})${said ? `: ${said}` : ''}`,
        );
      }
      done();
    });
  }
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
