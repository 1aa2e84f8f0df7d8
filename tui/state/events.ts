/**
 * What the world tells the player (the daemon's answers and pushes, playback, the network's
 * figures) -> the new state and the effects to carry out. Pure.
 */
import type { SongInfo } from '../../common/protocol/records.js';
import { callLossHistory, callsChanged } from './calls.js';
import { applyAction } from './update.js';
import type { PlayerEvent, Update } from './actions.js';
import { following } from './advance.js';
import { leaderChanged } from './listen-along.js';
import type { PlayerState, RadioState } from './model.js';
import { clamp, play } from './play.js';
import { addSongs, placeAt, refreshSongs, replaceSongs, type QueueEntry } from './queue.js';
import { songName } from './library-tree.js';
import { restoreSession } from './session.js';
import { withUserBindings } from './bindings.js';
import { cursorOn, libraryRows, selectedRow } from './selectors.js';
import { afterEnd } from './transport.js';
import { listened, marksFromStickers } from './marks.js';
import { handedOff, remoteCommand } from './remote.js';
import { handedOver, handOverFailed } from './quit.js';

/** One update after another: the second's state, both effects. */
export const chain = (first: Update, second: Update): Update => ({
  state: second.state,
  effects: [...first.effects, ...second.effects],
});

/** Songs skipped one after another before playback stops (a library the daemon no longer has). */
export const MAX_SKIPS_IN_A_ROW = 10;

/**
 * A song that could not be played (the daemon refused it, its bytes were bad) is said once and
 * skipped to what would follow it, as MPD does; not while following another device or after
 * MAX_SKIPS_IN_A_ROW failures in a row (then it stops there, said).
 */
function skipFailed(state: PlayerState, text: string): Update {
  const stopped: PlayerState = { ...state, playState: 'Stopped', message: { text, error: true } };
  if (!state.now || state.follow || state.radio.on) return { state: stopped, effects: [] };
  if (state.skippedInARow + 1 >= MAX_SKIPS_IN_A_ROW)
    return {
      state: {
        ...stopped,
        skippedInARow: 0,
        message: { text: `${text}; ${MAX_SKIPS_IN_A_ROW} songs in a row could not play: stopped`, error: true },
      },
      effects: [],
    };
  const step = following(state, 1, true);
  if (!step || step.song.etag === state.now.song.etag) return { state: stopped, effects: [] };
  const then = play({ ...state, queue: step.queue, skippedInARow: state.skippedInARow + 1 }, step.song, 0, step.entry);
  return { state: { ...then.state, message: { text: `${text}: skipped`, error: true } }, effects: then.effects };
}

/**
 * The daemon is away and the song's next block is not on disk: what is on disk plays on. The
 * songs that follow are skipped to the first whose start is cached; with none, playback stops and
 * goes on from where it was when the daemon is back. Said either way.
 */
function skipOffline(state: PlayerState, text: string): Update {
  const now = state.now;
  if (!now || state.follow || state.radio.on)
    return { state: { ...state, playState: 'Stopped', message: { text, error: true } }, effects: [] };
  let probe = state;
  const most = state.queue.entries.length + state.library.length;
  for (let i = 0; i < most; i++) {
    const step = following(probe, 1, false);
    if (!step || step.song.etag === now.song.etag) break;
    if (state.cached.get(step.song.etag)?.has(0)) {
      const then = play({ ...state, queue: step.queue }, step.song, 0, step.entry);
      const skipped = `${text}: skipped to ${songName(step.song)}`;
      return { state: { ...then.state, message: { text: skipped, error: true } }, effects: then.effects };
    }
    probe = { ...probe, queue: step.queue, now: { song: step.song, position: 0, entry: step.entry } };
  }
  return {
    state: {
      ...state,
      playState: 'Stopped',
      resumeWhenOnline: { song: now.song, position: now.position, entry: now.entry },
      message: { text: `${text}: plays on when it is back`, error: true },
    },
    effects: [],
  };
}

/** --follow: once the device list has the device, it is followed (as Enter on it would), and asked no more. */
function followAtStart(update: Update): Update {
  const name = update.state.followAtStart;
  if (!name || !update.state.devices.some((device) => device.name === name)) return update;
  const then = chain(update, applyAction(update.state, { type: 'follow-device', name }));
  return then.state.follow ? { ...then, state: { ...then.state, followAtStart: undefined } } : then;
}

export function applyEvent(state: PlayerState, event: PlayerEvent): Update {
  const none = (next: PlayerState): Update => ({ state: next, effects: [] });
  switch (event.type) {
    case 'song-ended':
      return afterEnd(state);
    case 'remote':
      return remoteCommand(state, event.from, event.command);
    case 'handed-off':
      // The music handed over on the way out: the player quits, whatever plays.
      if (state.handingOver === event.to) return handedOver(state);
      return handedOff(state, event.to, event.song);
    case 'hand-over-failed':
      return handOverFailed(state, event.text);
    case 'driven-queue': {
      const byFile = new Map(state.library.map((song) => [song.file.normalize('NFC'), song]));
      const entries = event.files.map((file) => ({ file, song: byFile.get(file.normalize('NFC')) }));
      const drivenQueue = {
        device: event.device,
        version: event.version,
        entries,
        missing: entries.filter((entry) => entry.song === undefined).length,
      };
      return none({ ...state, drivenQueue });
    }
    case 'queue-restored':
      return none({ ...state, queue: event.queue });
    case 'key-bindings': {
      const { bindings, problems } = withUserBindings(event.entries);
      const message =
        problems.length > 0
          ? { text: `${event.file.split('/').pop() ?? event.file}: ${problems.join('; ')} (left out)`, error: true }
          : state.message;
      return none({ ...state, bindings, message });
    }
    case 'session-restored':
      return restoreSession(state, event.session);
    case 'queue-loaded': {
      const byFile = new Map(state.library.map((song) => [song.file.normalize('NFC'), song]));
      const songs = event.files.flatMap((file) => byFile.get(file.normalize('NFC')) ?? []);
      const missing = event.files.length - songs.length;
      const append = event.mode === 'append';
      const text = `${songs.length} song${songs.length === 1 ? '' : 's'} ${append ? 'added' : 'queued'} from ${event.from}${missing > 0 ? `; ${missing} not in the library` : ''}`;
      return none({
        ...state,
        queue: append ? addSongs(state.queue, songs, 'end') : replaceSongs(state.queue, songs),
        selectedEntry: append ? state.selectedEntry : 0,
        message: { text, error: missing > 0 },
      });
    }
    case 'play-queue': {
      const byFile = new Map(state.library.map((song) => [song.file.normalize('NFC'), song]));
      const known = event.files.map((file) => byFile.get(file.normalize('NFC')));
      const songs = known.filter((song): song is SongInfo => song !== undefined);
      if (songs.length === 0)
        return none({ ...state, message: { text: `the play queue from ${event.from} is empty`, error: true } });
      const queue = replaceSongs(state.queue, songs);
      // The entry that was playing there, counted among the songs this library has.
      const current =
        event.current === undefined || known[event.current] === undefined
          ? 0
          : known.slice(0, event.current).filter(Boolean).length;
      const entry = queue.entries[current] as QueueEntry;
      const placed = placeAt(queue, entry.id);
      const missing = event.files.length - songs.length;
      const update = play(
        { ...state, queue: placed?.queue ?? queue, selectedEntry: current },
        entry.song,
        Math.min(event.positionMs / 1000, Math.max(0, entry.song.duration - 1)),
        entry.id,
      );
      const text = `taken up from ${event.from}: ${songs.length} song${songs.length === 1 ? '' : 's'}${missing > 0 ? `; ${missing} not in the library` : ''}`;
      return { ...update, state: { ...update.state, message: { text, error: missing > 0 } } };
    }
    case 'playlists': {
      const view = state.playlists;
      // The cursor stays on its playlist when another device changes the list.
      const was = view.names[view.selected]?.name;
      const at = event.names.findIndex((entry) => entry.name === was);
      const selected = at >= 0 ? at : Math.min(view.selected, Math.max(0, event.names.length - 1));
      return none({ ...state, playlists: { ...view, names: event.names, selected } });
    }
    case 'song-advanced': {
      // Playback is already in the song: the state follows without a new play.
      const step = following(state, 1, true);
      if (step && step.song.etag === event.song.etag)
        return none({ ...state, queue: step.queue, now: { song: step.song, position: 0, entry: step.entry } });
      return none({ ...state, now: { song: event.song, position: 0 } });
    }
    case 'position': {
      if (!state.now) return none(state);
      // A song that sounds ends a run of songs that failed.
      const skippedInARow = event.seconds > 0 ? 0 : state.skippedInARow;
      return listened({ ...state, skippedInARow }, event.seconds);
    }
    case 'cover':
      return none({ ...state, cover: event.cover });
    case 'lyrics':
      // Only the playing song's are kept (an answer for the song before comes late).
      if (event.lyrics.songId !== state.now?.song.id) return none(state);
      return none({ ...state, lyrics: event.lyrics, lyricsTop: 0 });
    case 'stickers':
      return none({ ...state, marks: marksFromStickers(event.stickers) });
    case 'library': {
      // The cursor stays on its song (or its node's first song) if the new library has it.
      const row = selectedRow(state);
      const song = row?.kind === 'song' ? row.song : row?.songs[0];
      const byFile = new Map(event.songs.map((s) => [s.file, s]));
      // A song kept from the last run, stopped, takes the record the daemon has for its file now.
      const keptSong = state.playState === 'Stopped' && state.now ? byFile.get(state.now.song.file) : undefined;
      const next = {
        ...state,
        library: event.songs,
        queue: refreshSongs(state.queue, byFile),
        now: keptSong && state.now ? { ...state.now, song: keptSong } : state.now,
      };
      const kept = song && event.songs.find((s) => s.etag === song.etag);
      return none({
        ...next,
        selected: kept ? cursorOn(next, kept) : clamp(state.selected, 0, Math.max(0, libraryRows(next).length - 1)),
      });
    }
    case 'devices': {
      if (JSON.stringify(event.devices) === JSON.stringify(state.devices)) return followAtStart(none(state));
      const driven = state.control ? event.devices.find((device) => device.name === state.control) : undefined;
      const next: PlayerState = {
        ...state,
        devices: event.devices,
        selectedDevice: clamp(state.selectedDevice, 0, Math.max(0, event.devices.length - 1)),
        // The device driven left (or stopped taking remote control): the keys are this one's again.
        ...(state.control && driven?.control !== true
          ? { control: undefined, message: { text: `${state.control} is gone: the keys play here again`, error: true } }
          : {}),
      };
      const update = followAtStart(leaderChanged(state, next, event.daemonNow));
      // The device driven said a new queue: the queue panel fetches it.
      const version = update.state.control === undefined ? undefined : driven?.queueVersion;
      if (
        version === undefined ||
        (state.drivenQueue?.device === driven?.name && state.drivenQueue?.version === version)
      )
        return update;
      return {
        ...update,
        effects: [...update.effects, { type: 'fetch-driven-queue', device: driven?.name as string }],
      };
    }
    case 'offline-library': {
      const songs = [...event.songs].sort((a, b) => (a.file < b.file ? -1 : 1));
      let update =
        state.library.length === 0 && songs.length > 0 ? applyEvent(state, { type: 'library', songs }) : none(state);
      for (const [etag, blocks] of event.blocks)
        update = chain(update, applyEvent(update.state, { type: 'cached', etag, blocks }));
      return update;
    }
    case 'connection': {
      if (event.state === state.connection) return none(state);
      const next = { ...state, connection: event.state };
      const resume = state.resumeWhenOnline;
      if (event.state !== 'online' || !resume || state.playState !== 'Stopped' || state.radio.on || state.follow)
        return none(next);
      const then = play(next, resume.song, resume.position, resume.entry);
      return { ...then, state: { ...then.state, message: { text: 'streamd is back: playing on', error: false } } };
    }
    case 'catalog':
      return none(
        event.state === state.catalog &&
          event.scan?.done === state.catalogScan?.done &&
          event.demo?.done === state.catalogDemo?.done
          ? state
          : { ...state, catalog: event.state, catalogScan: event.scan, catalogDemo: event.demo },
      );
    case 'cached': {
      const known = state.cached.get(event.etag);
      if (known && known.size === event.blocks.size && [...event.blocks].every((b) => known.has(b))) return none(state);
      const cached = new Map(state.cached);
      cached.set(event.etag, new Set(event.blocks));
      return none({ ...state, cached });
    }
    case 'download-rate':
      return none(
        event.bytesPerSecond === state.downloadRate ? state : { ...state, downloadRate: event.bytesPerSecond },
      );
    case 'message':
      return none({ ...state, message: { text: event.text, error: event.error } });
    case 'audio-output':
      return none({ ...state, audioOutput: event.name });
    case 'playback-failed':
      return event.offline ? skipOffline(state, event.text) : skipFailed(state, event.text);
    case 'radio': {
      if (!state.radio.on) return none(state);
      const radio = { ...state.radio, ...event.radio };
      const changed = (Object.keys(event.radio) as Array<keyof RadioState>).some(
        (key) => event.radio[key] !== state.radio[key],
      );
      return none(changed ? { ...state, radio } : state);
    }
    case 'udp-stats':
      return none({ ...state, udp: event.stats });
    case 'calls':
      return callsChanged(state, event.records, event.now);
    case 'call-stats':
      return none(
        state.call
          ? {
              ...state,
              callStats: event.stats,
              callLoss: callLossHistory(state.callLoss, state.callStats, event.stats),
            }
          : { ...state, callStats: undefined, callLoss: [] },
      );
  }
}
