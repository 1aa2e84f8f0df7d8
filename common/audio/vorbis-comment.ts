/**
 * Vorbis comments (https://xiph.org/vorbis/doc/v-comment.html), the tags of FLAC and Ogg files:
 * a vendor string, then `KEY=value` pairs in UTF-8, keys case-insensitive. Read here directly,
 * in microseconds, rather than through a general tag library on every file of a scan. Pure.
 */

export interface VorbisTags {
  title?: string;
  artist?: string;
  album?: string;
  albumArtist?: string;
  track?: number;
  year?: number;
  disc?: number;
  genre?: string;
  /** REPLAYGAIN_* as written ("-6.20 dB", "0.988"), for the caller to check. */
  replayGain: Record<string, string>;
  /** A picture (METADATA_BLOCK_PICTURE) and lyrics (LYRICS, UNSYNCEDLYRICS) are among the comments. */
  holds: { picture: boolean; lyrics: boolean };
}

/** The leading whole number of `7`, `07/12`, `2019-05-01`, when it is a sane one (1-9999). */
function leadingNumber(text: string): number | undefined {
  const m = /^\s*(\d+)/.exec(text);
  const value = m ? Number(m[1]) : 0;
  return value > 0 && value <= 9999 ? value : undefined;
}

const TEXT_KEYS: Record<string, 'title' | 'artist' | 'album' | 'albumArtist' | 'genre'> = {
  TITLE: 'title',
  ARTIST: 'artist',
  ALBUM: 'album',
  ALBUMARTIST: 'albumArtist',
  'ALBUM ARTIST': 'albumArtist',
  GENRE: 'genre',
};
const NUMBER_KEYS: Record<string, 'track' | 'year' | 'disc'> = {
  TRACKNUMBER: 'track',
  DATE: 'year',
  YEAR: 'year',
  ORIGINALDATE: 'year',
  DISCNUMBER: 'disc',
};

/**
 * The tags of a comment block (a FLAC VORBIS_COMMENT body; an Ogg comment packet after its
 * signature); the first value of a key wins. undefined when the block does not read as one.
 */
export function parseVorbisComments(body: Uint8Array): VorbisTags | undefined {
  const view = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (view.length < 8) return undefined;
  let at = 4 + view.readUInt32LE(0);
  if (at + 4 > view.length) return undefined;
  const count = view.readUInt32LE(at);
  at += 4;
  const tags: VorbisTags = { replayGain: {}, holds: { picture: false, lyrics: false } };
  for (let n = 0; n < count; n++) {
    if (at + 4 > view.length) return undefined;
    const length = view.readUInt32LE(at);
    at += 4;
    if (at + length > view.length) return undefined;
    // A picture (METADATA_BLOCK_PICTURE) can be megabytes: only the key is looked at.
    const equals = view.indexOf(0x3d, at);
    if (equals === -1 || equals >= at + length) {
      at += length;
      continue;
    }
    const key = view.toString('latin1', at, equals).toUpperCase();
    if (key === 'METADATA_BLOCK_PICTURE') tags.holds.picture = true;
    if (key === 'LYRICS' || key === 'UNSYNCEDLYRICS') tags.holds.lyrics = true;
    const text = TEXT_KEYS[key];
    const number = NUMBER_KEYS[key];
    if (text || number || key.startsWith('REPLAYGAIN_')) {
      const value = view.toString('utf8', equals + 1, at + length).trim();
      if (text) {
        if (value) tags[text] ??= value;
      } else if (number) tags[number] ??= leadingNumber(value);
      else tags.replayGain[key.toLowerCase()] ??= value;
    }
    at += length;
  }
  for (const key of ['track', 'year', 'disc'] as const) if (tags[key] === undefined) delete tags[key];
  return tags;
}
