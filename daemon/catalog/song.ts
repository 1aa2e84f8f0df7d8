/** What the catalog knows of one song: the record it lists and where each block's bytes are. */
import type { BlockSpan } from '../../common/audio/blocks.js';
import type { SongInfo } from '../../common/protocol/records.js';

export interface CatalogBlock extends BlockSpan {
  /** Hex SHA-256 of the block's bytes; computed on first download, then kept. */
  sha256?: string;
}

/** Identity of the file the analysis was made from: any change means "analyse again". */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface CatalogSong {
  info: SongInfo;
  /** Absolute path, checked to be inside the library root when the song was scanned. */
  path: string;
  stamp: FileStamp;
  /** The identity of its sound (analyze.ts): what ratings and play counts are kept under. */
  audioKey: string;
  blocks: CatalogBlock[];
  /** Set once the daemon has measured the loudness of a song without ReplayGain tags (loudness-pass.ts). */
  measured?: MeasuredLoudness;
  /**
   * Whether its tags hold a picture and lyrics, when the scan read them all (plain ID3 tags, most
   * MP3s); absent, they are looked in when asked for (embedded.ts, in a worker thread).
   */
  tagsHold?: TagsHold;
  /**
   * Its decoder header (docs/protocol.md, `header`) in base64, when it is small (FLAC's STREAMINFO,
   * Opus's header pages): answered from here, where reading it from the file put a few waits on the
   * thread pool between a key and an uncached song's first sound.
   */
  decoderHeader?: string;
}

/** What a song's tags hold besides their text. */
export interface TagsHold {
  picture: boolean;
  lyrics: boolean;
}

/** The daemon's own measure of a song's loudness: the gains themselves are in `info`, as tags' are. */
export interface MeasuredLoudness {
  /** Why the song has no gain, when it could not be measured (the pass does not try it again). */
  reason?: string;
  /** The album's gain came from this many songs measured together (another added or gone: measured again). */
  albumSongs?: number;
}

/** A gain and a peak, as ReplayGain tags give them. */
export interface Gain {
  gain: number;
  peak: number;
}

/** What the loudness pass measured of a group of songs (loudness.ts). */
export interface AlbumLoudness {
  /** One per song, in order: its gain, or why it has none (`transient`: not the song's fault, tried again later). */
  tracks: Array<Gain | { reason: string; transient?: boolean }>;
  /** When every song was measured and the group is an album. */
  album?: Gain;
}
