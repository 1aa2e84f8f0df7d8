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
  blocks: CatalogBlock[];
}
