import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSongFields, replayGainValue, songFields, type SongInfo } from '../../common/protocol/records.js';
import { replayGainOf, sameAlbum, scalePcm, type ReplayGainMode } from '../../tui/playback/replay-gain.js';

const base: SongInfo = {
  id: 1,
  file: 'a.flac',
  duration: 10,
  format: 'flac',
  sampleRate: 44100,
  channels: 2,
  bytes: 100,
  blocks: 1,
  etag: '0123456789abcdef',
};
const tagged: SongInfo = { ...base, trackGain: -6, trackPeak: 0.9, albumGain: -3, albumPeak: 0.95 };
const db = (gain: number): number => Math.round(2000 * Math.log10(gain)) / 100;

describe('ReplayGain', () => {
  const cases: Array<[string, SongInfo, ReplayGainMode, number, boolean, number]> = [
    ['off', tagged, 'off', 0, true, 0],
    ['track', tagged, 'track', 0, true, -6],
    ['album', tagged, 'album', 0, false, -3],
    ['auto among its album: the album', tagged, 'auto', 0, true, -3],
    ['auto on its own: the track', tagged, 'auto', 0, false, -6],
    ['track mode, only an album gain: that one', { ...base, albumGain: -4 }, 'track', 0, false, -4],
    ['album mode, only a track gain: that one', { ...base, trackGain: -5 }, 'album', 0, false, -5],
    ['the pre-amp on top', tagged, 'track', 2.5, false, -3.5],
    ['no tags: as it is', base, 'auto', 6, true, 0],
    // +12 dB would take a peak of 0.5 to 2: held to 1/0.5, +6.02 dB.
    ['a gain held by the peak', { ...base, trackGain: 12, trackPeak: 0.5 }, 'track', 0, false, 6.02],
  ];
  for (const [name, song, mode, preampDb, among, expected] of cases) {
    it(name, () => assert.equal(db(replayGainOf(song, { mode, preampDb }, among)), expected));
  }

  it('one album: its name and its artist', () => {
    const a: SongInfo = { ...base, album: 'X', artist: 'P' };
    assert.equal(sameAlbum(a, { ...a, id: 2 }), true);
    assert.equal(sameAlbum(a, { ...a, artist: 'Q' }), false);
    assert.equal(sameAlbum(a, { ...a, artist: 'Q', albumArtist: 'P' }), true);
    assert.equal(sameAlbum(a, { ...a, album: 'Y' }), false);
    assert.equal(sameAlbum({ ...base }, { ...base }), false, 'no album named: no album');
    assert.equal(sameAlbum(a, undefined), false);
  });

  it('scales 16-bit samples, rounded and held to 16 bits', () => {
    const pcm = Buffer.alloc(8);
    [1000, -1001, 30000, -30000].forEach((v, i) => pcm.writeInt16LE(v, i * 2));
    const out = scalePcm(pcm, 1.5);
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => out.readInt16LE(i * 2)),
      [1500, -1502, 32767, -32768],
    );
    assert.equal(scalePcm(pcm, 1), pcm, 'a gain of 1 is the same buffer');
  });

  it('scales a piece that starts at an odd byte, and leaves a last odd byte out', () => {
    const whole = Buffer.alloc(10);
    [1000, -1001, 30000, -30000].forEach((v, i) => whole.writeInt16LE(v, 1 + i * 2));
    const piece = whole.subarray(1, 10);
    const out = scalePcm(piece, 0.5);
    assert.equal(out.length, 8);
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => out.readInt16LE(i * 2)),
      [500, -501, 15000, -15000],
    );
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => piece.readInt16LE(i * 2)),
      [1000, -1001, 30000, -30000],
      'the piece itself unchanged',
    );
  });

  it('scales 32-bit samples, rounded and held to 32 bits', () => {
    const pcm = Buffer.alloc(16);
    [1000 * 256, -1001, 2_000_000_000, -2_000_000_000].forEach((v, i) => pcm.writeInt32LE(v, i * 4));
    const out = scalePcm(pcm, 1.5, 32);
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => out.readInt32LE(i * 4)),
      [1500 * 256, -1502, 2147483647, -2147483648],
    );
  });

  it('goes through a song record and back; values out of reason are left out', () => {
    const fields = new Map(songFields(tagged).map(([k, v]) => [k, String(v)]));
    assert.equal(fields.get('replaygain_track_gain'), '-6.00');
    const back = parseSongFields(fields);
    assert.deepEqual([back.trackGain, back.trackPeak, back.albumGain, back.albumPeak], [-6, 0.9, -3, 0.95]);
    const table: Array<[string, string, number | undefined]> = [
      ['replaygain_track_gain', '-11.38 dB', -11.38],
      ['replaygain_track_gain', '+3.5', 3.5],
      ['replaygain_track_gain', '-99', undefined],
      ['replaygain_track_gain', 'loud', undefined],
      ['replaygain_track_peak', '0.5', 0.5],
      ['replaygain_track_peak', '0', undefined],
      ['replaygain_album_peak', '12', undefined],
    ];
    for (const [key, text, expected] of table) assert.equal(replayGainValue(key, text), expected, `${key} ${text}`);
  });
});
