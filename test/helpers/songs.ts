/** Song records for tests of the player, no daemon needed. */
import type { SongInfo } from '../../common/protocol/records.js';

export function song(id: number, extra: Partial<SongInfo> = {}): SongInfo {
  return {
    id,
    file: `Artist/Album/${String(id).padStart(2, '0')} Song ${id}.mp3`,
    title: `Song ${id}`,
    artist: id % 2 ? 'Odd Band' : 'Even Band',
    duration: 95,
    format: 'mp3',
    sampleRate: 44100,
    channels: 2,
    bytes: 1_500_000,
    blocks: 4,
    etag: id.toString(16).padStart(16, '0'),
    ...extra,
  };
}
