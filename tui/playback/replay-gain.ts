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

/** 16-bit PCM times `gain`, rounded half away from zero (as the decoders round) and held to 16 bits; the same buffer when the gain is 1. */
export function scalePcm(pcm: Buffer, gain: number): Buffer {
  if (gain === 1) return pcm;
  const out = Buffer.allocUnsafe(pcm.length - (pcm.length % 2));
  for (let at = 0; at < out.length; at += 2) {
    const scaled = pcm.readInt16LE(at) * gain;
    const value = scaled < 0 ? -Math.round(-scaled) : Math.round(scaled);
    out.writeInt16LE(value > 32767 ? 32767 : value < -32768 ? -32768 : value, at);
  }
  return out;
}
