/** A minimal ID3v2.3 writer: text frames only, enough to tag the demo songs. */
import { writeSyncsafe } from '../../common/audio/id3.js';

export interface Tags {
  title?: string;
  artist?: string;
  album?: string;
  track?: string;
  albumArtist?: string;
  disc?: string;
  genre?: string;
}

const FRAME_IDS: Record<keyof Tags, string> = {
  title: 'TIT2',
  artist: 'TPE1',
  album: 'TALB',
  track: 'TRCK',
  albumArtist: 'TPE2',
  disc: 'TPOS',
  genre: 'TCON',
};

/** Text frames in UTF-16 with BOM (encoding 1), which every ID3v2.3 reader understands. */
function textFrame(id: string, text: string): Buffer {
  const body = Buffer.concat([Buffer.from([1, 0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const header = Buffer.alloc(10);
  header.write(id, 0, 'latin1');
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/**
 * @example Buffer.concat([id3v2Tag({ title: 'Song' }), mp3Frames])
 */
export function id3v2Tag(tags: Tags): Buffer {
  const frames = Buffer.concat(
    (Object.keys(FRAME_IDS) as Array<keyof Tags>)
      .filter((key) => tags[key])
      .map((key) => textFrame(FRAME_IDS[key], tags[key] as string)),
  );
  const header = Buffer.concat([Buffer.from('ID3\x03\x00\x00', 'latin1'), writeSyncsafe(frames.length)]);
  return Buffer.concat([header, frames]);
}
