/**
 * AAC's AudioSpecificConfig read as far as telling plain AAC-LC (ISO/IEC 14496-3, 1.6.2.1), and a
 * silent AAC-LC frame: one long window a channel with no scale factor band (max_sfb 0), so all
 * its spectrum is zero. A decoder given one first is left as a new one is (nothing to overlap,
 * the sine window before), so the song after it decodes to the same samples: it does a decoder's
 * one-time setup ahead of a song (tui/audio/ffmpeg-decoder.ts). Pure.
 */

/** The sampling frequency indexes' rates (Table 1.18). */
const SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
const AAC_LC = 2;
/** Samples a frame of the configs read here decode to (frameLengthFlag 0). */
export const AAC_FRAME_SAMPLES = 1024;

export interface PlainAacConfig {
  sampleRate: number;
  channels: 1 | 2;
}

const SYNC_EXTENSION = 0x2b7;
const SBR = 5;

/**
 * The config of an AudioSpecificConfig of AAC-LC, 1024-sample frames, one or two channels, with
 * nothing after it or only the extension that says SBR is absent (ffmpeg's encoder writes it);
 * undefined for any other (SBR or PS signalled, a core coder, 960 samples, more channels, an
 * escaped rate).
 */
export function plainAacConfig(config: Uint8Array): PlainAacConfig | undefined {
  if (config.length !== 2 && !withoutSbr(config)) return undefined;
  const bits = ((config[0] as number) << 8) | (config[1] as number);
  const objectType = bits >>> 11;
  const sampleRate = SAMPLE_RATES[(bits >>> 7) & 0xf];
  const channels = (bits >>> 3) & 0xf;
  // GASpecificConfig: frameLengthFlag, dependsOnCoreCoder, extensionFlag, all 0.
  if (objectType !== AAC_LC || !sampleRate || (channels !== 1 && channels !== 2) || (bits & 0b111) !== 0)
    return undefined;
  return { sampleRate, channels };
}

/** Whether the bytes after the first two are the sync extension saying SBR is absent (11 bits 0x2b7, object type 5, a 0 flag), then zeros. */
function withoutSbr(config: Uint8Array): boolean {
  if (config.length !== 5) return false;
  const bits = ((config[2] as number) << 16) | ((config[3] as number) << 8) | (config[4] as number);
  return bits >>> 13 === SYNC_EXTENSION && ((bits >>> 8) & 0x1f) === SBR && (bits & 0xff) === 0;
}

/** Bits written most significant first. */
class BitWriter {
  private readonly bits: number[] = [];

  put(value: number, width: number): this {
    for (let bit = width - 1; bit >= 0; bit--) this.bits.push((value >>> bit) & 1);
    return this;
  }

  /** The bits so far, the last byte filled with zeros (byte_alignment). */
  bytes(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.bits.length / 8));
    this.bits.forEach((bit, at) => (out[at >> 3] = (out[at >> 3] as number) | (bit << (7 - (at & 7)))));
    return out;
  }
}

const ID_SCE = 0;
const ID_CPE = 1;
const ID_END = 7;
/** Any gain: no band has a scale factor for it to start. */
const GLOBAL_GAIN = 100;

/** individual_channel_stream of a long window with no band: global_gain, ics_info, no pulse, TNS or gain control. */
function silentChannel(out: BitWriter): void {
  out.put(GLOBAL_GAIN, 8);
  // ics_info: ics_reserved_bit, window_sequence ONLY_LONG, window_shape sine, max_sfb 0, no prediction.
  out.put(0, 1).put(0, 2).put(0, 1).put(0, 6).put(0, 1);
  // section_data and scale_factor_data hold nothing for no band; then pulse, tns, gain_control absent.
  out.put(0, 1).put(0, 1).put(0, 1);
}

/** A raw_data_block of silence: a single channel element (1 channel) or a channel pair without a common window (2), then END. */
export function silentAacFrame(channels: 1 | 2): Buffer {
  const out = new BitWriter();
  out.put(channels === 1 ? ID_SCE : ID_CPE, 3).put(0, 4); // element_instance_tag 0
  if (channels === 2) out.put(0, 1); // common_window
  for (let channel = 0; channel < channels; channel++) silentChannel(out);
  out.put(ID_END, 3);
  return out.bytes();
}
