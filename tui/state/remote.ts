/**
 * A command another device sent this one (docs/protocol.md, Remote control) -> what the same key
 * would do here, said on the status line with who asked. Queue positions are the queue's as
 * shown (from 0); songs are the catalog's paths, those this library lacks skipped and said. Pure.
 */
import type { SongInfo } from '../../common/protocol/records.js';
import type { RemoteCommand } from '../../common/protocol/remote.js';
import type { Action, Update } from './actions.js';
import type { PlayerState } from './model.js';
import { clamp, play } from './play.js';
import { addSongs, clearQueue, placeAt, removeEntry, replaceSongs, type QueueEntry, type QueueState } from './queue.js';
import { applyAction as applyActionHere } from './update.js';

const plural = (count: number, what: string): string => `${count} ${what}${count === 1 ? '' : 's'}`;

function said(update: Update, text: string, error = false): Update {
  return { ...update, state: { ...update.state, message: { text, error } } };
}

function songsOf(state: PlayerState, files: readonly string[]): { songs: SongInfo[]; missing: number } {
  const byFile = new Map(state.library.map((song) => [song.file.normalize('NFC'), song]));
  const songs = files.flatMap((file) => byFile.get(file.normalize('NFC')) ?? []);
  return { songs, missing: files.length - songs.length };
}

function withQueue(state: PlayerState, queue: QueueState): PlayerState {
  return { ...state, queue, selectedEntry: clamp(state.selectedEntry, 0, Math.max(0, queue.entries.length - 1)) };
}

/** The queue's entry `pos` played from `seconds`; undefined when there is no such entry. */
function playEntry(state: PlayerState, pos: number, seconds: number): Update | undefined {
  const entry = state.queue.entries[pos];
  const placed = entry && placeAt(state.queue, entry.id);
  if (!entry || !placed) return undefined;
  const at = clamp(seconds, 0, Math.max(0, entry.song.duration - 1));
  return play({ ...state, queue: placed.queue, selectedEntry: pos }, entry.song, at, entry.id);
}

/** The action done here, even while this device's own keys drive another. */
function applyAction(state: PlayerState, action: Action, now: number): Update {
  const update = applyActionHere({ ...state, control: undefined }, action, now);
  return { ...update, state: { ...update.state, control: state.control } };
}

/** The device this one sent its music to plays it now: it stops here (its queue stays), unless another song was chosen since. */
export function handedOff(state: PlayerState, to: string, song: number, now = Date.now()): Update {
  if (state.now?.song.id !== song) return { state, effects: [] };
  return said(applyAction(state, { type: 'stop' }, now), `playing on ${to} now`);
}

export function remoteCommand(state: PlayerState, from: string, command: RemoteCommand, now = Date.now()): Update {
  const none: Update = { state, effects: [] };
  const missingText = (missing: number): string =>
    missing > 0 ? `; ${plural(missing, 'song')} not in the library` : '';
  switch (command.action) {
    case 'play': {
      if (command.songs.length === 0) return said(applyAction(state, { type: 'play' }, now), `${from}: play`);
      const { songs, missing } = songsOf(state, command.songs);
      if (songs.length === 0) return said(none, `${from} asked for songs this library does not have`, true);
      const started = playEntry(withQueue(state, replaceSongs(state.queue, songs)), 0, 0) as Update;
      return said(started, `${from}: playing ${plural(songs.length, 'song')}${missingText(missing)}`, missing > 0);
    }
    case 'add': {
      const { songs, missing } = songsOf(state, command.songs);
      const next = withQueue(state, addSongs(state.queue, songs, 'end'));
      return said(
        { state: next, effects: [] },
        `${from}: ${plural(songs.length, 'song')} added${missingText(missing)}`,
      );
    }
    case 'pause':
      return said(applyAction(state, { type: 'pause' }, now), `${from}: pause`);
    case 'resume':
      return said(applyAction(state, { type: 'play' }, now), `${from}: resume`);
    case 'toggle':
      return said(applyAction(state, { type: 'toggle-pause' }, now), `${from}: play/pause`);
    case 'stop':
      return said(applyAction(state, { type: 'stop' }, now), `${from}: stop`);
    case 'next':
      return said(applyAction(state, { type: 'next' }, now), `${from}: next`);
    case 'previous':
      return said(applyAction(state, { type: 'previous' }, now), `${from}: previous`);
    case 'seek':
      return said(applyAction(state, { type: 'seek-to', at: command.seconds }, now), `${from}: seek`);
    case 'volume':
      return said(
        applyAction(state, { type: 'set-volume', volume: command.percent }, now),
        `${from}: volume ${command.percent}%`,
      );
    case 'move': {
      const entries = [...state.queue.entries];
      const [moved] = entries.splice(command.from, 1);
      if (!moved || command.to >= state.queue.entries.length)
        return said(none, `${from} asked to move a queue entry that is not there`, true);
      entries.splice(command.to, 0, moved as QueueEntry);
      return said({ state: { ...state, queue: { ...state.queue, entries } }, effects: [] }, `${from}: queue reordered`);
    }
    case 'delete': {
      const entry = state.queue.entries[command.pos];
      if (!entry) return said(none, `${from} asked to remove a queue entry that is not there`, true);
      const next = withQueue(state, removeEntry(state.queue, entry.id));
      const playing = state.now?.entry === entry.id;
      return said(
        { state: playing && next.now ? { ...next, now: { ...next.now, entry: undefined } } : next, effects: [] },
        `${from}: '${entry.song.title || entry.song.file}' removed from the queue`,
      );
    }
    case 'clear': {
      // As MPD's clear: the queue is emptied and playback stops.
      const stopped = applyAction(state, { type: 'stop' }, now);
      const cleared = { ...withQueue(stopped.state, clearQueue(stopped.state.queue)), now: undefined };
      return said({ state: cleared, effects: stopped.effects }, `${from}: queue cleared`);
    }
    case 'start': {
      const started = playEntry(state, command.pos, command.positionMs / 1000);
      if (!started) return said(none, `${from} asked to play a queue entry that is not there`, true);
      const { atMs, positionMs } = command;
      const effects =
        atMs === undefined
          ? started.effects
          : started.effects.map((effect) =>
              effect.type === 'play' ? { ...effect, inStep: { positionMs, atMs } } : effect,
            );
      return said({ ...started, effects }, `${from}: playing from here`);
    }
    case 'follow': {
      const along = applyAction(state, { type: 'follow-device', name: command.leader }, now);
      if (along.state.follow?.leader !== command.leader) return along; // why not is said
      return said(along, `${from}: playing along with ${command.leader}: Esc stops`);
    }
    case 'send':
      if (!state.now) return said(none, `${from} asked to send the music to ${command.to}, and none plays here`, true);
      return said(
        { state, effects: [{ type: 'send-playback', to: command.to }] },
        `${from}: sending the music to ${command.to}`,
      );
  }
}
