/**
 * ReplayGain as MPD applies it: the track's or the album's gain from the song's tags (the other
 * when one is missing), a pre-amp on top, and never more than its peak allows, so that the gain
 * does not clip. `auto` takes the album's gain while the song plays among its album's (the song
 * before or after it is of the same album), else the track's. Pure.
 */
import type { SongInfo } from '../../common/protocol/records.js';

export type ReplayGainMode = 'off' | 'track' | 'album' | 'auto';

export interface ReplayGainSettings {
  mode: ReplayGainMode;
  /** dB added to every tagged gain (MPD's replaygain_preamp). */
  preampDb: number;
}

/** Two songs of one album: the same album name, by the same album artist (or artist). */
export function sameAlbum(a: SongInfo, b: SongInfo | undefined): boolean {
  if (!b || !a.album || a.album !== b.album) return false;
  return (a.albumArtist ?? a.artist) === (b.albumArtist ?? b.artist);
}

/** The linear gain for `song`; `amongItsAlbum`: a neighbour in play order is of its album. */
export function replayGainOf(song: SongInfo, settings: ReplayGainSettings, amongItsAlbum: boolean): number {
  if (settings.mode === 'off') return 1;
  const album = settings.mode === 'album' || (settings.mode === 'auto' && amongItsAlbum);
  const gain = album ? (song.albumGain ?? song.trackGain) : (song.trackGain ?? song.albumGain);
  if (gain === undefined) return 1;
  const peak = album ? (song.albumPeak ?? song.trackPeak) : (song.trackPeak ?? song.albumPeak);
  const linear = 10 ** ((gain + settings.preampDb) / 20);
  return peak ? Math.min(linear, 1 / peak) : linear;
}

/**
 * PCM (16-bit, or 32-bit with `bits`) times `gain`, rounded half away from zero (as the decoders
 * round) and held to its range; the same buffer when the gain is 1.
 */
export function scalePcm(pcm: Buffer, gain: number, bits: 16 | 32 = 16): Buffer {
  if (gain === 1) return pcm;
  const width = bits / 8;
  const max = bits === 32 ? 2147483647 : 32767;
  const out = Buffer.allocUnsafe(pcm.length - (pcm.length % width));
  for (let at = 0; at < out.length; at += width) {
    const scaled = (bits === 32 ? pcm.readInt32LE(at) : pcm.readInt16LE(at)) * gain;
    const rounded = scaled < 0 ? -Math.round(-scaled) : Math.round(scaled);
    const value = rounded > max ? max : rounded < -max - 1 ? -max - 1 : rounded;
    if (bits === 32) out.writeInt32LE(value, at);
    else out.writeInt16LE(value, at);
  }
  return out;
}
