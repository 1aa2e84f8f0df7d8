/**
 * One song on the radio, heard as a listener hears it: a daemon whose programme is that song
 * alone, a UDP listener until END, and the MP3 it was sent decoded.
 */
import assert from 'node:assert/strict';
import { DatagramType } from '../../common/datagram/codec.js';
import { parseInfo } from '../../common/datagram/messages.js';
import { toneFrequency } from './audio-env.js';
import { startTestDaemon } from './daemon.js';
import { decodeMp3 } from './decode.js';
import { UdpPeer } from './udp-peer.js';

/**
 * Plays `file` of `library` on a radio of its own and checks what was heard: that song's INFO only,
 * MP3 at `rate`, `seconds` long (within 0.1 s), and a sine of `hz` (the first and last 0.1 s left out).
 */
export async function assertRadioPlaysSine(
  library: string,
  file: string,
  expected: { rate: number; seconds: number; hz: number },
): Promise<void> {
  const radio = await startTestDaemon(library, { radio: { playlist: [file], loop: false } });
  try {
    const listener = await UdpPeer.open(radio.udpPort);
    try {
      await listener.listen();
      await listener.until(() => listener.of(DatagramType.END).length === 1, 12_000, 'END');
      const infos = listener.of(DatagramType.INFO).map((d) => parseInfo(d.payload)?.file);
      assert.deepEqual([...new Set(infos)], [file]);
      const heard = await decodeMp3(Buffer.concat(listener.of(DatagramType.AUDIO).map((d) => d.payload)));
      assert.equal(heard.sampleRate, expected.rate);
      const left = heard.samples[0] as Float32Array;
      const seconds = left.length / expected.rate;
      assert.ok(
        Math.abs(seconds - expected.seconds) < 0.1,
        `${expected.seconds} s of it, heard ${seconds.toFixed(2)} s`,
      );
      const edge = expected.rate / 10;
      const pcm = Int16Array.from(left.subarray(edge, left.length - edge), (v) => Math.round(v * 32767));
      assert.ok(Math.abs(toneFrequency([pcm], expected.rate) - expected.hz) < 2, 'the sine it holds');
    } finally {
      listener.close();
    }
  } finally {
    await radio.stop();
  }
}
