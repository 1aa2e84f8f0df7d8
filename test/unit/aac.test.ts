import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainAacConfig, silentAacFrame } from '../../common/audio/aac.js';

describe('AAC: plain AAC-LC configs', () => {
  const cases: Array<[string, string, ReturnType<typeof plainAacConfig>]> = [
    ['LC, 44.1 kHz, stereo', '1210', { sampleRate: 44100, channels: 2 }],
    ['LC, 48 kHz, mono', '1188', { sampleRate: 48000, channels: 1 }],
    ["ffmpeg's: the sync extension saying SBR is absent", '121056e500', { sampleRate: 44100, channels: 2 }],
    ['the sync extension saying SBR is present', '121056e580', undefined],
    ['HE-AAC (object type 5)', '2b92', undefined],
    ['960-sample frames', '1214', undefined],
    ['5.1 channels', '1230', undefined],
    ['an escaped rate (index 15)', '1790', undefined],
    ['AAC Main (object type 1)', '0a10', undefined],
    ['a byte too few', '12', undefined],
    ['bytes after it that are not the extension', '12100000', undefined],
  ];
  for (const [name, hex, expected] of cases)
    it(name, () => assert.deepEqual(plainAacConfig(Buffer.from(hex, 'hex')), expected));
});

describe('AAC: a silent frame', () => {
  // The bits, by ISO/IEC 14496-3 4.4.2: id_syn_ele, element_instance_tag, [common_window],
  // per channel global_gain 100, ics_info (0, ONLY_LONG, sine, max_sfb 0, no prediction), no
  // pulse, TNS or gain control; ID_END; zeros to the byte.
  it('mono: a single channel element, then END', () => assert.equal(silentAacFrame(1).toString('hex'), '00c80007'));
  it('stereo: a channel pair without a common window, then END', () =>
    assert.equal(silentAacFrame(2).toString('hex'), '2064000190000e'));
});
