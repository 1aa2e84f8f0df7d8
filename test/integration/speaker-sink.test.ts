/**
 * The audio child through ALSA's file PCM: every byte written comes out, and the child is quiet
 * while it plays a song's worth of pieces (it once added an 'error' listener per piece, which Node
 * reports as a MaxListenersExceededWarning on the child's stderr, now read and passed on).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { SpeakerSink } from '../../tui/audio/speaker-sink.js';
import { filePcm } from '../helpers/audio-env.js';

const alsa = filePcm();
process.env['HOME'] = alsa.home; // the child inherits it, and ALSA reads HOME/.asoundrc
after(() => alsa.cleanup());

function tone(seconds: number, rate: number): Buffer {
  const pcm = Buffer.alloc(seconds * rate * 4);
  for (let i = 0; i < seconds * rate; i++) {
    const sample = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
    pcm.writeInt16LE(sample, 4 * i);
    pcm.writeInt16LE(sample, 4 * i + 2);
  }
  return pcm;
}

describe('speaker sink (audio child process)', () => {
  it('plays every byte, and says nothing untoward while it does', async () => {
    const messages: string[] = [];
    const failures: Error[] = [];
    const sink = new SpeakerSink(
      (error) => failures.push(error),
      (text) => messages.push(text),
    );
    await sink.open({ sampleRate: 44100, channels: 2 });
    const pcm = tone(6, 44100); // ~130 pieces of 2048 frames: far past Node's 10-listener warning
    for (let at = 0; at < pcm.length; at += 16384) await sink.write(pcm.subarray(at, at + 16384));
    await sink.drain();
    sink.close();
    assert.deepEqual(failures, []);
    assert.deepEqual(
      messages.filter((text) => /MaxListeners|leak/i.test(text)),
      [],
      messages.join('\n'),
    );
    const out = readFileSync(alsa.output);
    assert.equal(out.length, pcm.length, 'every byte reached the device');
    assert.ok(out.equals(pcm), 'byte-exact');
  });
});
