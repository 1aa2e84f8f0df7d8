/**
 * The library as the panel lists it: the flat list (or, while a search is typed, the songs that
 * match, best first; or in an order of the marks, `o`), or the artist -> album -> song tree (`v`). Pure; the grouping of a library
 * is made once per library (the daemon sends a new array when it changes).
 */
import type { SongInfo } from '../../common/protocol/records.js';
import type { SongMarks } from '../../common/protocol/stickers.js';
import { unreachable } from './actions.js';
import type { LibraryOrder } from './model.js';
import { matchFields, prepareFields, queryTerms, type FieldsMatch, type PreparedFields } from './fuzzy.js';

export type LibraryRow =
  | { kind: 'artist'; key: string; label: string; open: boolean; songs: SongInfo[] }
  | { kind: 'album'; key: string; label: string; open: boolean; songs: SongInfo[] }
  | { kind: 'song'; song: SongInfo; depth: number; match?: FieldsMatch | undefined };

export const UNKNOWN_ARTIST = 'Unknown artist';
export const UNKNOWN_ALBUM = 'Unknown album';

/** What a song row shows: `Artist - Title`, the title, or the file when it has no tags. */
export function songName(song: SongInfo): string {
  if (song.title) return song.artist ? `${song.artist} - ${song.title}` : song.title;
  return song.file;
}

interface Album {
  key: string;
  name: string;
  year: number | undefined;
  songs: SongInfo[];
}
interface Artist {
  key: string;
  name: string;
  albums: Album[];
  songs: SongInfo[];
}

const byName = (a: string, b: string): number => a.localeCompare(b, undefined, { sensitivity: 'base', numeric: true });
/** By disc, then track (tagged first); then by file name: a two-disc album plays 1-01, 1-02 ... 2-01. */
const byTrack = (a: SongInfo, b: SongInfo): number =>
  (a.disc ?? 1) - (b.disc ?? 1) || (a.track ?? Infinity) - (b.track ?? Infinity) || byName(a.file, b.file);

/**
 * The artist a song is filed under: the album's artist when it has one, so that a compilation
 * ("Various Artists") is one album, not one-song albums under every track's artist.
 */
export const filedArtist = (song: SongInfo): string | undefined => song.albumArtist ?? song.artist;
export const artistKey = (song: SongInfo): string => `a\0${filedArtist(song) ?? ''}`;
export const albumKey = (song: SongInfo): string => `b\0${filedArtist(song) ?? ''}\0${song.album ?? ''}`;

const groupings = new WeakMap<readonly SongInfo[], Artist[]>();

/** Artists by name; their albums by year (untagged last), then name; songs by track number. */
export function groupLibrary(library: readonly SongInfo[]): Artist[] {
  const known = groupings.get(library);
  if (known) return known;
  const artists = new Map<string, Artist>();
  for (const song of library) {
    const key = artistKey(song);
    let artist = artists.get(key);
    if (!artist) artists.set(key, (artist = { key, name: filedArtist(song) ?? UNKNOWN_ARTIST, albums: [], songs: [] }));
    const albumAt = albumKey(song);
    let album = artist.albums.find((a) => a.key === albumAt);
    if (!album)
      artist.albums.push((album = { key: albumAt, name: song.album ?? UNKNOWN_ALBUM, year: undefined, songs: [] }));
    album.songs.push(song);
    if (song.year !== undefined) album.year = Math.min(album.year ?? Infinity, song.year);
  }
  const grouped = [...artists.values()].sort((a, b) =>
    a.name === UNKNOWN_ARTIST ? 1 : b.name === UNKNOWN_ARTIST ? -1 : byName(a.name, b.name),
  );
  for (const artist of grouped) {
    artist.albums.sort((a, b) => (a.year ?? Infinity) - (b.year ?? Infinity) || byName(a.name, b.name));
    for (const album of artist.albums) album.songs.sort(byTrack);
    artist.songs = artist.albums.flatMap((album) => album.songs);
  }
  groupings.set(library, grouped);
  return grouped;
}

let lastTree: { library: readonly SongInfo[]; expanded: ReadonlySet<string>; rows: LibraryRow[] } | undefined;

/**
 * The tree's rows with the `expanded` artists and albums open. Made once per library and set of
 * open nodes (both are replaced, never changed in place): every render and key asks for them.
 */
export function treeRows(library: readonly SongInfo[], expanded: ReadonlySet<string>): LibraryRow[] {
  if (lastTree && lastTree.library === library && lastTree.expanded === expanded) return lastTree.rows;
  const rows: LibraryRow[] = [];
  for (const artist of groupLibrary(library)) {
    const artistOpen = expanded.has(artist.key);
    rows.push({ kind: 'artist', key: artist.key, label: artist.name, open: artistOpen, songs: artist.songs });
    if (!artistOpen) continue;
    for (const album of artist.albums) {
      const open = expanded.has(album.key);
      rows.push({
        kind: 'album',
        key: album.key,
        label: album.year ? `${album.year}  ${album.name}` : album.name,
        open,
        songs: album.songs,
      });
      if (open) for (const song of album.songs) rows.push({ kind: 'song', song, depth: 2 });
    }
  }
  lastTree = { library, expanded, rows };
  return rows;
}

interface Search {
  library: readonly SongInfo[];
  query: string;
  rows: LibraryRow[];
  /** Indexes into the library of the songs that matched, in library order. */
  matched: number[];
}
let lastSearch: Search | undefined;
const prepared = new WeakMap<SongInfo, PreparedFields>();

function fieldsOf(song: SongInfo): PreparedFields {
  let fields = prepared.get(song);
  if (!fields)
    prepared.set(
      song,
      (fields = prepareFields({
        name: songName(song),
        album: song.album ?? '',
        file: song.file,
        artist: [song.artist, song.albumArtist].filter(Boolean).join(' / '),
        title: song.title ?? '',
        genre: song.genre ?? '',
        year: song.year === undefined ? '' : String(song.year),
      })),
    );
  return fields;
}

/**
 * The songs `query` matches, best first (library order among equals), with what matched. A query
 * typed on from the last one (a key press) looks only among the last one's matches, as fzf does:
 * whatever matches the longer query matched the shorter (field terms aside). Accents do not count
 * (`motley` finds Mötley); `artist:`, `album:`, `title:`, `genre:`, `year:` and `file:` name a field.
 */
export function searchRows(library: readonly SongInfo[], query: string): LibraryRow[] {
  const last = lastSearch;
  if (last && last.library === library && last.query === query) return last.rows;
  const terms = queryTerms(query);
  // A field term is not narrowed so: `artist` typed on into `artist:m`, `year:198` into `year:1985-1999`.
  const narrowing =
    last !== undefined && last.library === library && query.startsWith(last.query) && !query.includes(':');
  const candidates = narrowing ? last.matched : library.map((_, at) => at);
  const found: Array<{ song: SongInfo; match: FieldsMatch; at: number }> = [];
  for (const at of candidates) {
    const song = library[at] as SongInfo;
    const match = matchFields(terms, fieldsOf(song));
    if (match) found.push({ song, match, at });
  }
  const matched = found.map((f) => f.at);
  found.sort((a, b) => b.match.score - a.match.score || a.at - b.at);
  const rows: LibraryRow[] = found.map(({ song, match }) => ({ kind: 'song', song, depth: 0, match }));
  lastSearch = { library, query, rows, matched };
  return rows;
}

/** The songs a row stands for: one song, or an album's or artist's songs in play order. */
export function rowSongs(row: LibraryRow | undefined): SongInfo[] {
  if (!row) return [];
  return row.kind === 'song' ? [row.song] : row.songs;
}

/** The library's songs in `order`: sorted by a mark, or only those that have one (favourites, never played). */
export function orderedLibrary(
  library: readonly SongInfo[],
  marks: ReadonlyMap<number, SongMarks>,
  order: LibraryOrder,
): readonly SongInfo[] {
  const of = (song: SongInfo): SongMarks => marks.get(song.id) ?? { rating: 0, playCount: 0 };
  switch (order) {
    case 'path':
      return library;
    case 'most-played':
      return library
        .filter((song) => of(song).playCount > 0)
        .sort((a, b) => of(b).playCount - of(a).playCount || (of(b).lastPlayed ?? 0) - (of(a).lastPlayed ?? 0));
    case 'top-rated':
      return library.filter((song) => of(song).rating > 0).sort((a, b) => of(b).rating - of(a).rating);
    case 'favorites':
      return library
        .filter((song) => of(song).favoriteSince !== undefined)
        .sort((a, b) => (of(b).favoriteSince ?? 0) - (of(a).favoriteSince ?? 0));
    case 'never-played':
      return library.filter((song) => of(song).playCount === 0);
    default:
      return unreachable(order);
  }
}
