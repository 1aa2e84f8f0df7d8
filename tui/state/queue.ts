/**
 * The device's own queue, as MPD's playlist is: entries that stay as they play, a place (the
 * entry playing or played last) that the end of a song and n/b move on from, and shuffle by
 * rounds (each entry once per round, a new order each round). Pure: shuffling draws from a seeded
 * generator kept in the queue, so every step can be replayed (and tested).
 */
import type { SongInfo } from '../../common/protocol/records.js';

export interface QueueEntry {
  /** Unique in its queue: entries are moved and removed by id (a song may be queued twice). */
  id: number;
  song: SongInfo;
}

export interface QueueState {
  entries: QueueEntry[];
  /** The entry playing or played last: where n, b and the end of a song go on from. */
  place: number | undefined;
  shuffle: boolean;
  /** While shuffling: this round's entries in play order. */
  order: number[];
  nextId: number;
  /** The shuffle generator's state. */
  seed: number;
}

export function emptyQueue(seed: number): QueueState {
  return { entries: [], place: undefined, shuffle: false, order: [], nextId: 1, seed: seed >>> 0 };
}

/** mulberry32: a small, good 32-bit generator. Returns a value in [0, 1) and the next state. */
function random(seed: number): [number, number] {
  const next = (seed + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, next];
}

/** Fisher-Yates over `ids` from `seed`. */
function shuffled(ids: readonly number[], seed: number): { ids: number[]; seed: number } {
  const out = [...ids];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    const [r, next] = random(state);
    state = next;
    const j = Math.floor(r * (i + 1));
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return { ids: out, seed: state };
}

/** The entries' ids in the order they play: the list's, or this round's shuffle. */
export function playOrder(queue: QueueState): number[] {
  return queue.shuffle ? queue.order : queue.entries.map((entry) => entry.id);
}

export const entryById = (queue: QueueState, id: number | undefined): QueueEntry | undefined =>
  queue.entries.find((entry) => entry.id === id);

/** Songs added at the end (`a`) or right after the place (`A`: play next). */
export function addSongs(queue: QueueState, songs: readonly SongInfo[], where: 'end' | 'next'): QueueState {
  if (songs.length === 0) return queue;
  const added = songs.map((song, i): QueueEntry => ({ id: queue.nextId + i, song }));
  const ids = added.map((entry) => entry.id);
  const placeAt = queue.entries.findIndex((entry) => entry.id === queue.place);
  const at = where === 'end' ? queue.entries.length : placeAt + 1;
  const entries = [...queue.entries.slice(0, at), ...added, ...queue.entries.slice(at)];
  let { order, seed } = queue;
  if (queue.shuffle) {
    // Added to this round: next in line (A), or mixed into what is still to play (a).
    const orderPlace = order.indexOf(queue.place ?? -1);
    if (where === 'next') order = [...order.slice(0, orderPlace + 1), ...ids, ...order.slice(orderPlace + 1)];
    else {
      const mixed = shuffled([...order.slice(orderPlace + 1), ...ids], seed);
      order = [...order.slice(0, orderPlace + 1), ...mixed.ids];
      seed = mixed.seed;
    }
  }
  return { ...queue, entries, order, seed, nextId: queue.nextId + added.length };
}

export function removeEntry(queue: QueueState, id: number): QueueState {
  if (!entryById(queue, id)) return queue;
  return {
    ...queue,
    entries: queue.entries.filter((entry) => entry.id !== id),
    order: queue.order.filter((other) => other !== id),
    place: queue.place === id ? previousInOrder(queue, id) : queue.place,
  };
}

/** The entry before `id` in play order, so that the one after the removed entry plays next. */
function previousInOrder(queue: QueueState, id: number): number | undefined {
  const order = playOrder(queue);
  const at = order.indexOf(id);
  return at > 0 ? order[at - 1] : undefined;
}

/** Where entry `id` stands in the queue (from 0), or -1: no entry, or one not in it. */
export function entryIndex(queue: QueueState, id: number | undefined): number {
  return id === undefined ? -1 : queue.entries.findIndex((entry) => entry.id === id);
}

/** One step down (+1) or up (-1) in the list. */
export function moveEntry(queue: QueueState, id: number, by: 1 | -1): QueueState {
  const at = entryIndex(queue, id);
  const to = at + by;
  if (at < 0 || to < 0 || to >= queue.entries.length) return queue;
  const entries = [...queue.entries];
  [entries[at], entries[to]] = [entries[to] as QueueEntry, entries[at] as QueueEntry];
  return { ...queue, entries };
}

export function clearQueue(queue: QueueState): QueueState {
  return { ...queue, entries: [], order: [], place: undefined };
}

/** Shuffle on (a round that starts with the entry at the place, so it is not heard twice) or off. */
export function toggleShuffle(queue: QueueState): QueueState {
  if (queue.shuffle) return { ...queue, shuffle: false, order: [] };
  const rest = queue.entries.map((entry) => entry.id).filter((id) => id !== queue.place);
  const round = shuffled(rest, queue.seed);
  return {
    ...queue,
    shuffle: true,
    order: queue.place === undefined ? round.ids : [queue.place, ...round.ids],
    seed: round.seed,
  };
}

/** A new round's order; its first entry is not the one just heard (when there is another). */
function newRound(queue: QueueState): { order: number[]; seed: number } {
  const round = shuffled(
    queue.entries.map((entry) => entry.id),
    queue.seed,
  );
  const order = round.ids;
  if (order.length > 1 && order[0] === queue.place)
    [order[0], order[order.length - 1]] = [order[order.length - 1] as number, order[0] as number];
  return { order, seed: round.seed };
}

/**
 * The entry `step` away from the place in play order, and the queue with its place there.
 * Past either end: undefined, or (`wrap`, loop all) round again, a new shuffle round if shuffling.
 * With no place yet both directions start at the first entry.
 */
export function stepQueue(
  queue: QueueState,
  step: 1 | -1,
  wrap: boolean,
): { queue: QueueState; entry: QueueEntry } | undefined {
  if (queue.entries.length === 0) return undefined;
  const order = playOrder(queue);
  const at = order.indexOf(queue.place ?? -1);
  const to = at < 0 ? 0 : at + step;
  if (to >= 0 && to < order.length) return landOn(queue, order[to] as number);
  if (!wrap) return undefined;
  if (queue.shuffle && step === 1) {
    const round = newRound(queue);
    return landOn({ ...queue, order: round.order, seed: round.seed }, round.order[0] as number);
  }
  return landOn(queue, order[(to + order.length) % order.length] as number);
}

function landOn(queue: QueueState, id: number): { queue: QueueState; entry: QueueEntry } {
  return { queue: { ...queue, place: id }, entry: entryById(queue, id) as QueueEntry };
}

/** Plays from entry `id` (Enter in the queue): the place moves there. */
export function placeAt(queue: QueueState, id: number): { queue: QueueState; entry: QueueEntry } | undefined {
  const entry = entryById(queue, id);
  return entry ? landOn(queue, id) : undefined;
}

/** The library changed: entries take the new record of their file (the etag may have moved). Entries whose file is gone stay (offline, the library is only what is cached). */
export function refreshSongs(queue: QueueState, byFile: ReadonlyMap<string, SongInfo>): QueueState {
  let changed = false;
  const entries = queue.entries.map((entry) => {
    const song = byFile.get(entry.song.file);
    if (!song || song === entry.song || JSON.stringify(song) === JSON.stringify(entry.song)) return entry;
    changed = true;
    return { ...entry, song };
  });
  return changed ? { ...queue, entries } : queue;
}

/** The queue as it is kept on disk: songs, and the place and the round as indexes into them. */
export interface QueueSnapshot {
  songs: SongInfo[];
  place: number | null;
  shuffle: boolean;
  order: number[];
  seed: number;
}

export function queueSnapshot(queue: QueueState): QueueSnapshot {
  const index = new Map(queue.entries.map((entry, i) => [entry.id, i]));
  return {
    songs: queue.entries.map((entry) => entry.song),
    place: queue.place === undefined ? null : (index.get(queue.place) ?? null),
    shuffle: queue.shuffle,
    order: queue.shuffle ? queue.order.flatMap((id) => (index.has(id) ? [index.get(id) as number] : [])) : [],
    seed: queue.seed,
  };
}

/** A kept queue back, whatever its indexes say (out of range ones are dropped). */
export function queueFromSnapshot(snapshot: QueueSnapshot, seed: number): QueueState {
  const entries = snapshot.songs.map((song, i): QueueEntry => ({ id: i + 1, song }));
  const idAt = (index: number | null): number | undefined =>
    index !== null && Number.isInteger(index) && index >= 0 && index < entries.length ? index + 1 : undefined;
  const order = snapshot.shuffle
    ? [...new Set(snapshot.order.map(idAt).filter((id): id is number => id !== undefined))]
    : [];
  // Entries the round lost (a hand-edited file) play at its end.
  for (const entry of snapshot.shuffle ? entries : []) if (!order.includes(entry.id)) order.push(entry.id);
  return {
    entries,
    place: idAt(snapshot.place),
    shuffle: snapshot.shuffle,
    order,
    nextId: entries.length + 1,
    seed: Number.isInteger(snapshot.seed) ? snapshot.seed >>> 0 : seed,
  };
}

/** The queue replaced by `songs` (a playlist loaded), shuffle kept as it was. */
export function replaceSongs(queue: QueueState, songs: readonly SongInfo[]): QueueState {
  const cleared = { ...queue, entries: [], order: [], place: undefined, shuffle: false };
  const added = addSongs(cleared, songs, 'end');
  return queue.shuffle ? toggleShuffle(added) : added;
}
