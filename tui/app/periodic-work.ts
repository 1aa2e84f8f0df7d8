/**
 * What the player does on its ticks (ticker.ts), and when it has nothing to do on them: the song's
 * clock and the call's on screen, the download rate, the loss chart, the UDP log, and the status
 * other devices see. A stopped player with no download, call or datagrams in the chart's window
 * does not wake at all.
 */
import type { UdpActivity } from '../radio/udp-activity.js';
import type { PlayerState } from '../state/model.js';
import type { VoiceStats } from '../calls/voice-call.js';
import { Ticker, type MovingSong } from '../timing/ticker.js';
import { currentLyricLine } from '../../common/lyrics/lrc.js';
import type { PlayerEvent } from '../state/actions.js';

/** Other devices see this one's position move this often while it plays (its status text). */
const STATUS_REFRESH_MS = 5000;
/** The loss figures go to the log this often while datagrams come. */
const UDP_LOG_MS = 10_000;
/**
 * The download rate is taken over at least this long: a tick timed to a song's end can come tens
 * of ms after the one before, and a block arriving then would read as a burst many times the rate.
 */
const RATE_WINDOW_MS = 900;

export interface PeriodicWorkDeps {
  state(): PlayerState;
  tell(event: PlayerEvent): void;
  /** The song playing and where it is (seconds), or none. */
  playing(): { position: number; duration: number } | undefined;
  voiceStats(): VoiceStats | undefined;
  udp: UdpActivity;
  publishStatus(): void;
  /** Where the song is, kept on disk (a player killed comes back near there). */
  keepSession(): void;
}

export interface PeriodicWork {
  ticker: Ticker;
  /** Bytes of a download arrived: the rate counts them, and a sleeping ticker wakes. */
  countBytes(count: number): void;
}

/** Synced lyrics open over the song playing: the times their lines start, seconds (the ticker wakes at each). */
const cuesOf = new WeakMap<object, number[]>();
function lyricCues(state: PlayerState): readonly number[] | undefined {
  const lyrics = state.lyrics;
  if (!state.showLyrics || !lyrics?.synced || lyrics.songId !== state.now?.song.id) return undefined;
  let cues = cuesOf.get(lyrics);
  if (!cues) cuesOf.set(lyrics, (cues = lyrics.lines.map((line) => (line.ms ?? 0) / 1000)));
  return cues;
}

/** Whether the line being sung differs between two positions (seconds), with synced lyrics open. */
function lyricLineMoved(state: PlayerState, from: number, to: number): boolean {
  if (!lyricCues(state)) return false;
  const lines = state.lyrics?.lines ?? [];
  return currentLyricLine(lines, from * 1000) !== currentLyricLine(lines, to * 1000);
}

export function periodicWork(deps: PeriodicWorkDeps): PeriodicWork {
  let bytes = 0;
  const moving = (): MovingSong | undefined => {
    const state = deps.state();
    const song = state.playState === 'Playing' && !state.radio.on ? deps.playing() : undefined;
    return song && { ...song, cues: lyricCues(state) };
  };
  const busy = (): boolean => {
    const state = deps.state();
    return state.call !== undefined || bytes > 0 || state.downloadRate > 0 || deps.udp.active();
  };
  const ticker = new Ticker(
    moving,
    [
      {
        everyMs: 0,
        run: () => {
          const state = deps.state();
          // The screen shows whole seconds: a position that shows the same is not worth a render.
          const seconds = deps.playing()?.position;
          const shown = state.now?.position ?? -1;
          if (
            seconds !== undefined &&
            state.playState === 'Playing' &&
            (Math.floor(seconds) !== Math.floor(shown) || lyricLineMoved(state, shown, seconds))
          )
            deps.tell({ type: 'position', seconds });
          if (state.call) deps.tell({ type: 'call-stats', stats: deps.voiceStats() }); // and the call's clock moves, ringing too
          const udp = deps.udp.stats();
          if (udp || state.udp) deps.tell({ type: 'udp-stats', stats: udp }); // none: the panel's chart goes
        },
      },
      {
        everyMs: RATE_WINDOW_MS,
        run: (elapsedMs) => {
          deps.tell({ type: 'download-rate', bytesPerSecond: Math.round((bytes * 1000) / Math.max(elapsedMs, 1)) });
          bytes = 0;
        },
      },
      { everyMs: UDP_LOG_MS, run: () => deps.udp.logNow() },
      {
        everyMs: STATUS_REFRESH_MS,
        run: () => {
          if (deps.state().playState !== 'Playing') return;
          deps.publishStatus();
          deps.keepSession();
        },
      },
    ],
    busy,
  );
  return {
    ticker,
    countBytes(count) {
      bytes += count;
      ticker.wake();
    },
  };
}
