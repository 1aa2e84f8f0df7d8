/**
 * The sender's clock in a call (voice-call.ts) when the microphone starts after the keep-alives
 * stood in for it: its first frame is placed at the time it is taken, as the keep-alives placed
 * theirs, not a frame after the last keep-alive (the other side read that as a packet hundreds of
 * ms late, and held its jitter buffer that much deeper). Real datagrams, caught by a UDP socket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatagramType } from '../../common/datagram/codec.js';
import { FRAME_SAMPLES, VOICE_RATE } from '../../tui/audio/opus-codec.js';
import { VoiceCall } from '../../tui/calls/voice-call.js';
import { VoiceLink } from '../../tui/calls/voice-link.js';
import { UdpPeer } from '../helpers/udp-peer.js';

const FRAME_MS = (1000 * FRAME_SAMPLES) / VOICE_RATE;
let peer: UdpPeer;
let link: VoiceLink;

before(async () => {
  peer = await UdpPeer.open(0);
  link = await VoiceLink.open({ host: '127.0.0.1', port: peer.port });
});
after(() => {
  link.close();
  peer.socket.close();
});

describe('the sender’s clock when the microphone starts late', () => {
  it('places the first frame at the time it is taken', { timeout: 20_000 }, async () => {
    const startedBefore = performance.now();
    const call = await VoiceCall.start(link, 7, '00112233445566aa');
    const startedAfter = performance.now();
    try {
      // The keep-alives go (one each 400 ms) while no microphone has given a frame.
      await peer.until(() => peer.of(DatagramType.VOICE).length >= 2, 5000, 'two keep-alives');
      await sleep(250);
      const voicedAt = performance.now();
      const tone = Int16Array.from({ length: FRAME_SAMPLES }, (_, i) => 8000 * Math.sin(i / 4));
      const before = peer.of(DatagramType.VOICE).length;
      call.takeFrame(tone);
      await peer.until(() => peer.of(DatagramType.VOICE).length > before, 5000, 'the microphone’s frame');
      const sent = peer.of(DatagramType.VOICE).at(-1) as { position: number };
      const positionMs = (sent.position / VOICE_RATE) * 1000;
      // The clock started (position 0) between startedBefore and startedAfter; a frame either way
      // for rounding.
      assert.ok(
        positionMs >= voicedAt - startedAfter - 2 * FRAME_MS && positionMs <= voicedAt - startedBefore + 2 * FRAME_MS,
        `the frame taken ${(voicedAt - startedAfter).toFixed(0)}-${(voicedAt - startedBefore).toFixed(0)} ms into the call is placed at ${positionMs.toFixed(0)} ms`,
      );
    } finally {
      call.stop();
    }
  });
});
