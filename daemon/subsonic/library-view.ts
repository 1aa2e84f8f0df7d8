/**
 * The catalog as the Subsonic API browses it: by tags (artists, their albums, genres) and by
 * folders (each music folder's tree). Rebuilt when the catalog's version moves, on the first
 * request after it. Ids are stable across rescans and restarts: a song's is its catalog id (the
 * TCP protocol's, kept by path), an album's, an artist's and a folder's a hash of what names them.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { CatalogSong } from '../catalog/song.js';

export interface AlbumEntry {
  id: string;
  name: string;
  artist: string;
  artistId: string;
  songs: CatalogSong[];
  year: number | undefined;
  genre: string | undefined;
  /** The newest of its files' modification times (ms): "newest" albums. */
  created: number;
  duration: number;
  /** The folder of its first song (its "directory" when browsed by folders). */
  folderIndex: number;
}

export interface ArtistEntry {
  id: string;
  name: string;
  albums: AlbumEntry[];
}

export interface DirectoryEntry {
  id: string;
  name: string;
  /** Its path in the library ('' for a music folder's root of a library of one). */
  rel: string;
  parent: DirectoryEntry | undefined;
  dirs: DirectoryEntry[];
  songs: CatalogSong[];
  folderIndex: number;
  /** The newest modification time (ms) of a song in it or below. */
  created: number;
}

export interface MusicFolderEntry {
  id: number;
  name: string;
  root: DirectoryEntry;
}

export const UNKNOWN_ARTIST = '[Unknown Artist]';
export const UNKNOWN_ALBUM = '[Unknown Album]';
/** Words not sorted by (Subsonic's default `ignoredArticles`). */
export const IGNORED_ARTICLES = ['The', 'El', 'La', 'Los', 'Las', 'Le', 'Les'];

const hashId = (prefix: string, text: string): string =>
  `${prefix}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;

/** Lower case, without diacritics: what names are compared and searched by. */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** A name as sorted: folded, without an ignored article in front. */
export function sortKey(name: string): string {
  const folded = foldText(name);
  for (const article of IGNORED_ARTICLES) {
    const word = `${article.toLowerCase()} `;
    if (folded.startsWith(word) && folded.length > word.length) return folded.slice(word.length);
  }
  return folded;
}

/** The index letter a name is listed under: A-Z, else '#'. */
export function indexLetter(name: string): string {
  const first = sortKey(name).charAt(0).toUpperCase();
  return /^[A-Z]$/.test(first) ? first : '#';
}

export const albumArtistOf = (song: CatalogSong): string => song.info.albumArtist || song.info.artist || UNKNOWN_ARTIST;
export const songTitle = (song: CatalogSong): string =>
  song.info.title || path.posix.basename(song.info.file, path.posix.extname(song.info.file));

const byName = <T extends { name: string }>(a: T, b: T): number => {
  const ka = sortKey(a.name);
  const kb = sortKey(b.name);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** An album's songs in play order: disc, track, then path. */
const albumOrder = (a: CatalogSong, b: CatalogSong): number =>
  (a.info.disc ?? 1) - (b.info.disc ?? 1) ||
  (a.info.track ?? 0) - (b.info.track ?? 0) ||
  (a.info.file < b.info.file ? -1 : a.info.file > b.info.file ? 1 : 0);

export class LibraryView {
  readonly songs = new Map<string, CatalogSong>();
  readonly albums = new Map<string, AlbumEntry>();
  readonly artists = new Map<string, ArtistEntry>();
  readonly directories = new Map<string, DirectoryEntry>();
  readonly folders: MusicFolderEntry[] = [];
  /** Albums and artists sorted by name. */
  readonly albumList: AlbumEntry[];
  readonly artistList: ArtistEntry[];
  /** Genre -> its songs. */
  readonly genres = new Map<string, CatalogSong[]>();
  /** The song's album and folder. */
  readonly albumOf = new Map<CatalogSong, AlbumEntry>();
  readonly directoryOf = new Map<CatalogSong, DirectoryEntry>();
  /** The newest modification time of any song (ms): `getIndexes`' lastModified. */
  readonly lastModified: number;

  constructor(catalog: Pick<Catalog, 'songs' | 'musicFolders'>) {
    const roots = catalog.musicFolders();
    roots.forEach((root, index) => {
      const name = root.name || path.basename(root.dir) || 'Music';
      const dir: DirectoryEntry = {
        id: hashId('dir', `${index}:${root.name}`),
        name,
        rel: root.name,
        parent: undefined,
        dirs: [],
        songs: [],
        folderIndex: index,
        created: 0,
      };
      this.directories.set(dir.id, dir);
      this.folders.push({ id: index, name, root: dir });
    });
    const folderOf = (file: string): number =>
      roots.length <= 1
        ? 0
        : Math.max(
            0,
            roots.findIndex((root) => file.startsWith(`${root.name}/`)),
          );
    const directory = (rel: string, folderIndex: number): DirectoryEntry => {
      const root = this.folders[folderIndex]?.root as DirectoryEntry;
      if (rel === root.rel) return root;
      const id = hashId('dir', `${folderIndex}:${rel}`);
      let dir = this.directories.get(id);
      if (!dir) {
        const parent = directory(path.posix.dirname(rel) === '.' ? root.rel : path.posix.dirname(rel), folderIndex);
        dir = { id, name: path.posix.basename(rel), rel, parent, dirs: [], songs: [], folderIndex, created: 0 };
        parent.dirs.push(dir);
        this.directories.set(id, dir);
      }
      return dir;
    };

    let lastModified = 0;
    for (const song of catalog.songs()) {
      if (this.folders.length === 0) break;
      const id = String(song.info.id);
      this.songs.set(id, song);
      lastModified = Math.max(lastModified, song.stamp.mtimeMs);
      const folderIndex = folderOf(song.info.file);
      const parentRel = path.posix.dirname(song.info.file);
      const dir = directory(parentRel === '.' ? '' : parentRel, folderIndex);
      dir.songs.push(song);
      this.directoryOf.set(song, dir);
      for (let up: DirectoryEntry | undefined = dir; up; up = up.parent)
        up.created = Math.max(up.created, song.stamp.mtimeMs);

      const artistName = albumArtistOf(song);
      const albumName = song.info.album || (dir.parent ? dir.name : UNKNOWN_ALBUM);
      const albumId = hashId('al', `${foldText(artistName)}\u0000${foldText(albumName)}`);
      let album = this.albums.get(albumId);
      if (!album) {
        const artistId = hashId('ar', foldText(artistName));
        let artist = this.artists.get(artistId);
        if (!artist) {
          artist = { id: artistId, name: artistName, albums: [] };
          this.artists.set(artistId, artist);
        }
        album = {
          id: albumId,
          name: albumName,
          artist: artistName,
          artistId,
          songs: [],
          year: undefined,
          genre: undefined,
          created: 0,
          duration: 0,
          folderIndex,
        };
        artist.albums.push(album);
        this.albums.set(albumId, album);
      }
      album.songs.push(song);
      album.year ??= song.info.year;
      album.genre ??= song.info.genre;
      album.created = Math.max(album.created, song.stamp.mtimeMs);
      album.duration += song.info.duration;
      this.albumOf.set(song, album);
      if (song.info.genre) {
        const list = this.genres.get(song.info.genre) ?? [];
        list.push(song);
        this.genres.set(song.info.genre, list);
      }
    }
    this.lastModified = Math.floor(lastModified);
    for (const album of this.albums.values()) album.songs.sort(albumOrder);
    this.albumList = [...this.albums.values()].sort(byName);
    this.artistList = [...this.artists.values()].sort(byName);
    for (const artist of this.artistList) artist.albums.sort((a, b) => (a.year ?? 0) - (b.year ?? 0) || byName(a, b));
    for (const dir of this.directories.values()) dir.dirs.sort(byName);
  }

  private readonly folded = new WeakMap<object, string>();

  /** An entry's names as search compares them (foldText), made on its first search and kept with this view. */
  foldedNames(entry: object, names: ReadonlyArray<string | undefined>): string {
    let text = this.folded.get(entry);
    if (text === undefined) {
      text = foldText(names.filter(Boolean).join(' '));
      this.folded.set(entry, text);
    }
    return text;
  }

  /** The artist a song's `artist` tag names, when it has albums of its own. */
  artistOfSong(song: CatalogSong): ArtistEntry | undefined {
    return this.artists.get(hashId('ar', foldText(song.info.artist || albumArtistOf(song))));
  }
}

/** The view of the catalog as it is now: built again only after it changed. */
export class LibraryViews {
  private built: { version: number; view: LibraryView } | undefined;

  constructor(private readonly catalog: Pick<Catalog, 'songs' | 'musicFolders' | 'version'>) {}

  current(): LibraryView {
    if (this.built?.version !== this.catalog.version)
      this.built = { version: this.catalog.version, view: new LibraryView(this.catalog) };
    return this.built.view;
  }
}
