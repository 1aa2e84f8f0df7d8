/**
 * The tags of a WAV file, read with a bounded walk over its RIFF chunks: a LIST
 * INFO chunk (INAM title, IART artist, IPRD album, ITRK track, ICRD year, IGNR genre) and an `id3 ` chunk (an ID3v2 tag, given to
 * music-metadata alone). At most MAX_CHUNKS chunk headers are read and no chunk over its bound is
 * read at all, so a file crafted to make a parser crawl (a data chunk of size 0 followed by
 * zeros, thousands of empty chunks) costs a few small reads.
 */
import { boundText, MAX_TAG_CHARS } from '../../common/limits.js';
import { replayGainValue, type SongInfo } from '../../common/protocol/records.js';
import { leadingNumber } from './quick-tags.js';

export type Tags = Pick<
  SongInfo,
  | 'title'
  | 'artist'
  | 'album'
  | 'track'
  | 'year'
  | 'albumArtist'
  | 'disc'
  | 'genre'
  | 'trackGain'
  | 'trackPeak'
  | 'albumGain'
  | 'albumPeak'
>;
/** Reads `length` bytes at `position` (fewer at the end of the file). */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

const MAX_CHUNKS = 64;
const MAX_INFO_BYTES = 64 * 1024;
const MAX_ID3_BYTES = 1024 * 1024;
const INFO_FIELDS: Record<string, 'title' | 'artist' | 'album' | 'track' | 'year' | 'disc' | 'genre'> = {
  INAM: 'title',
  IART: 'artist',
  IPRD: 'album',
  ITRK: 'track',
  ICRD: 'year',
  IGNR: 'genre',
};

/** LIST INFO sub-chunks: id, size, a zero-terminated string, padded to an even length. */
export function parseInfoList(body: Buffer): Tags {
  const tags: Tags = {};
  for (let at = 4; at + 8 <= body.length;) {
    const id = body.toString('latin1', at, at + 4);
    const size = body.readUInt32LE(at + 4);
    const field = INFO_FIELDS[id];
    if (field && at + 8 + size <= body.length) {
      const text = body
        .toString('utf8', at + 8, at + 8 + size)
        .replace(/\0.*$/s, '')
        .trim();
      if (field === 'track' || field === 'year' || field === 'disc') {
        const value = leadingNumber(text, 9999);
        if (value) tags[field] = value;
      } else if (text) tags[field] = text;
    }
    at += 8 + size + (size & 1);
  }
  return tags;
}

/** The tags the catalog keeps, from what music-metadata read. */
export function pickTags(common: {
  title?: string;
  artist?: string;
  album?: string;
  track?: { no: number | null };
  year?: number;
  albumartist?: string;
  disk?: { no: number | null };
  genre?: string[];
  replaygain_track_gain?: { dB: number };
  replaygain_track_peak?: { ratio: number };
  replaygain_album_gain?: { dB: number };
  replaygain_album_peak?: { ratio: number };
}): Tags {
  const tags: Tags = {};
  if (common.title) tags.title = common.title;
  if (common.artist) tags.artist = common.artist;
  if (common.album) tags.album = common.album;
  if (common.track?.no && common.track.no > 0) tags.track = common.track.no;
  if (common.year && common.year > 0 && common.year <= 9999) tags.year = common.year;
  if (common.albumartist) tags.albumArtist = common.albumartist;
  if (common.disk?.no && common.disk.no > 0 && common.disk.no <= 9999) tags.disc = common.disk.no;
  if (common.genre?.[0]) tags.genre = common.genre[0];
  const replayGain: Array<['trackGain' | 'trackPeak' | 'albumGain' | 'albumPeak', string, number | undefined]> = [
    ['trackGain', 'replaygain_track_gain', common.replaygain_track_gain?.dB],
    ['trackPeak', 'replaygain_track_peak', common.replaygain_track_peak?.ratio],
    ['albumGain', 'replaygain_album_gain', common.replaygain_album_gain?.dB],
    ['albumPeak', 'replaygain_album_peak', common.replaygain_album_peak?.ratio],
  ];
  for (const [field, key, value] of replayGain) {
    const sane = value === undefined ? undefined : replayGainValue(key, String(value));
    if (sane !== undefined) tags[field] = sane;
  }
  return boundTags(tags);
}

/** The text tags cut to what the daemon serves (MAX_TAG_CHARS): a 300,000-character title is a file's, not a line's. */
export function boundTags(tags: Tags): Tags {
  const bounded = { ...tags };
  for (const key of ['title', 'artist', 'album', 'albumArtist', 'genre'] as const) {
    const value = bounded[key];
    if (value !== undefined) bounded[key] = boundText(value, MAX_TAG_CHARS);
  }
  return bounded;
}

async function id3Tags(tag: Buffer): Promise<Tags> {
  try {
    const { parseBuffer } = await import('music-metadata'); // loaded when first needed (analyze.ts)
    const { common } = await parseBuffer(
      tag,
      { mimeType: 'audio/mpeg', size: tag.length },
      { duration: false, skipCovers: true, skipPostHeaders: true },
    );
    return pickTags(common);
  } catch {
    return {}; // unreadable tags do not make the audio unplayable
  }
}

/** The tags found in the chunks of a RIFF/WAVE file of `fileSize` bytes; an ID3 tag wins over INFO. */
export async function readWavTags(readAt: ReadAt, fileSize: number): Promise<Tags> {
  let info: Tags = {};
  let id3: Tags = {};
  let at = 12;
  for (let n = 0; n < MAX_CHUNKS && at + 8 <= fileSize; n++) {
    const header = await readAt(at, 12);
    if (header.length < 8) break;
    const id = header.toString('latin1', 0, 4);
    const size = header.readUInt32LE(4);
    const body = at + 8;
    // A streamed WAV's data chunk says 0 or 0xffffffff and runs to the end: nothing follows it.
    if (id === 'data' && (size === 0 || size === 0xffffffff)) break;
    if (id === 'LIST' && header.toString('latin1', 8, 12) === 'INFO' && size <= MAX_INFO_BYTES)
      info = parseInfoList(await readAt(body, size));
    else if ((id === 'id3 ' || id === 'ID3 ') && size <= MAX_ID3_BYTES) id3 = await id3Tags(await readAt(body, size));
    at = body + size + (size & 1);
  }
  return boundTags({ ...info, ...id3 });
}
