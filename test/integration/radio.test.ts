import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseMpegHeader } from '../../common/audio/mpeg-header.js';
import {
  DatagramType,
  encodeDatagram,
  HEADER_BYTES,
  MIN_SUBSCRIBE_BYTES,
  RejectReason,
} from '../../common/datagram/codec.js';
import {
  parseAccept,
  parseInfo,
  parseReject,
  subscribeDatagram,
  tokenDatagram,
} from '../../common/datagram/messages.js';
import { encodeMp3, encodeWav } from '../../daemon/demo/encode.js';
import { synthesize } from '../../daemon/demo/synth.js';
import { TestClient } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { decodeMp3 } from '../helpers/decode.js';
import { until } from '../helpers/log-capture.js';
import { UdpPeer } from '../helpers/udp-peer.js';

/** A library of two short songs, so that song changes and the programme's end come quickly. */
const library = mkdtempSync(path.join(os.tmpdir(), 'streamd-radio-'));
const spec = { title: 'x', seconds: 2.5, bpm: 120, root: 60, minor: false, seed: 3 };
mkdirSync(library, { recursive: true });
writeFileSync(path.join(library, 'a-short.wav'), encodeWav(synthesize(spec, 44100, 2)));
writeFileSync(path.join(library, 'b-short.mp3'), encodeMp3(synthesize({ ...spec, seconds: 3, seed: 4 }, 22050, 1), 64));
writeFileSync(
  path.join(library, 'c-long.mp3'),
  encodeMp3(synthesize({ ...spec, seconds: 40, seed: 5 }, 44100, 2), 128),
);

const peers: UdpPeer[] = [];
const peer = async (port: number): Promise<UdpPeer> => {
  const opened = await UdpPeer.open(port);
  peers.push(opened);
  return opened;
};
let daemon: TestDaemon;
let tcp: TestClient;

before(async () => {
  daemon = await startTestDaemon(library, {
    radio: { playlist: ['c-long.mp3'], max_listeners: 3 },
    udp: { listener_timeout: 1.5 },
  });
  tcp = (await TestClient.connect(daemon.port)).client;
});
after(async () => {
  for (const opened of peers) opened.close();
  tcp.close();
  await daemon.stop();
  rmSync(library, { recursive: true, force: true });
});

const radioField = async (key: string): Promise<string | undefined> =>
  (await tcp.command('radio')).fields.find(([k]) => k === key)?.[1];
const stat = async (key: string): Promise<number> =>
  Number((await tcp.command('stats')).fields.find(([k]) => k === key)?.[1]);

describe('radio over UDP', () => {
  it('answers a SUBSCRIBE with an ACCEPT no larger than it, and sends audio only after the token comes back', async () => {
    const listener = await peer(daemon.udpPort);
    listener.send(subscribeDatagram('kitchen'));
    await listener.until(() => listener.of(DatagramType.ACCEPT).length === 1);
    const accept = listener.of(DatagramType.ACCEPT)[0]!;
    assert.ok(accept.size <= MIN_SUBSCRIBE_BYTES, `ACCEPT of ${accept.size} bytes`);
    const parsed = parseAccept(accept.payload);
    assert.ok(parsed, 'ACCEPT carries a token and JSON stream info');
    assert.equal(parsed.token.length, 8);
    assert.equal(parsed.info.format, 'mp3');
    assert.equal(parsed.info.sample_rate, 44100);
    assert.equal(parsed.info.file, 'c-long.mp3');
    await sleep(400); // a window in which nothing must come (an absence has no event to wait for)
    assert.equal(listener.of(DatagramType.AUDIO).length, 0, 'no audio before the token is echoed');

    listener.token = parsed.token;
    listener.stream = accept.stream;
    listener.keepalive();
    await listener.until(() => listener.of(DatagramType.AUDIO).length >= 20);
    assert.equal(listener.of(DatagramType.INFO).length >= 1, true, 'INFO on joining');
    const audio = listener.of(DatagramType.AUDIO);
    audio.forEach((datagram, i) => {
      assert.equal(datagram.stream, accept.stream);
      if (i > 0) assert.equal(datagram.sequence, audio[i - 1]!.sequence + 1, 'sequence numbers go up by one');
      const header = parseMpegHeader(datagram.payload, 0);
      assert.ok(header, 'each payload starts with an MPEG frame');
      assert.equal(header.frameBytes, datagram.payload.length, 'one whole frame per datagram');
    });
    assert.equal(await radioField('listeners'), '1');
    assert.equal(await radioField('file'), 'c-long.mp3');
    listener.leave();
    await until('the LEAVE taken', async () => (await radioField('listeners')) === '0');
    const before = listener.of(DatagramType.AUDIO).length;
    await sleep(400); // a window in which nothing must come
    assert.ok(listener.of(DatagramType.AUDIO).length - before <= 1, 'LEAVE stops the audio');
  });

  it('sends in real time, and the frames decode', async () => {
    const listener = await peer(daemon.udpPort);
    await listener.listen();
    await listener.until(() => listener.of(DatagramType.AUDIO).length > 0);
    const started = listener.of(DatagramType.AUDIO)[0]!.at;
    const keeping = setInterval(() => listener.keepalive(), 500); // listener_timeout is 1.5 s here
    await listener.until(() => listener.of(DatagramType.AUDIO).at(-1)!.at - started >= 3000, 10_000, '3 s of audio');
    clearInterval(keeping);
    listener.leave();
    const audio = listener.of(DatagramType.AUDIO).slice(10); // the first ones may come as a burst of catch-up
    const wall = audio.at(-1)!.at - audio[0]!.at;
    const media = audio.at(-1)!.position - audio[0]!.position;
    assert.ok(Math.abs(media - wall) < 0.1 * wall, `media ${media} ms in ${wall} ms of wall time`);
    const decoded = await decodeMp3(Buffer.concat(audio.map((d) => d.payload)));
    assert.equal(decoded.sampleRate, 44100);
    assert.ok(
      Math.abs(decoded.samples[0]!.length / 44.1 - (media + 26)) < 60,
      `decoded ${decoded.samples[0]!.length} samples for ${media} ms`,
    );
  });

  it('a token is good for its own address only: a spoofed SUBSCRIBE gets no audio anywhere', async () => {
    const victim = await peer(daemon.udpPort);
    const attacker = await peer(daemon.udpPort);
    // The victim's address "subscribed" (as a spoofed packet would make it) but never answers.
    victim.send(subscribeDatagram('spoofed'));
    await victim.until(() => victim.of(DatagramType.ACCEPT).length === 1);
    const token = parseAccept(victim.of(DatagramType.ACCEPT)[0]!.payload)!.token;
    attacker.send(tokenDatagram(DatagramType.KEEPALIVE, 0, token)); // even with the token, from elsewhere
    const malformed = await stat('udp_malformed');
    attacker.send(tokenDatagram(DatagramType.KEEPALIVE, 0, Buffer.alloc(8))); // or a guess
    await until('both KEEPALIVEs refused', async () => (await stat('udp_malformed')) >= malformed + 2);
    assert.equal(victim.received.length, 1, 'the victim got the one ACCEPT, nothing more');
    assert.equal(attacker.received.length, 0);
    assert.equal(await radioField('listeners'), '0');
  });

  it('says REJECT full past max_listeners and duplicate to a listener subscribing again', async () => {
    const listeners = [await peer(daemon.udpPort), await peer(daemon.udpPort), await peer(daemon.udpPort)];
    for (const listener of listeners) await listener.listen();
    const fourth = await peer(daemon.udpPort);
    fourth.send(subscribeDatagram('one too many'));
    await fourth.until(() => fourth.of(DatagramType.REJECT).length === 1);
    assert.equal(parseReject(fourth.of(DatagramType.REJECT)[0]!.payload).reason, RejectReason.FULL);
    listeners[0]!.send(subscribeDatagram('again'));
    await listeners[0]!.until(() => listeners[0]!.of(DatagramType.REJECT).length === 1);
    const duplicate = listeners[0]!.of(DatagramType.REJECT)[0]!;
    assert.equal(parseReject(duplicate.payload).reason, RejectReason.DUPLICATE);
    assert.ok(duplicate.size <= MIN_SUBSCRIBE_BYTES);
    for (const listener of listeners) listener.leave();
    await until('the listeners gone', async () => (await radioField('listeners')) === '0');
  });

  it('drops a listener that stops sending KEEPALIVE, and keeps one that does', async () => {
    const silent = await peer(daemon.udpPort);
    const alive = await peer(daemon.udpPort);
    await silent.listen();
    await alive.listen();
    const keeping = setInterval(() => alive.keepalive(), 500);
    await until('both listening', async () => (await radioField('listeners')) === '2');
    // listener_timeout is 1.5 s in this daemon.
    await until('the silent listener dropped', async () => (await radioField('listeners')) === '1', 6000);
    const silentCount = silent.of(DatagramType.AUDIO).length;
    const aliveCount = alive.of(DatagramType.AUDIO).length;
    await alive.until(() => alive.of(DatagramType.AUDIO).length > aliveCount + 10);
    clearInterval(keeping);
    assert.equal(silent.of(DatagramType.AUDIO).length, silentCount, 'the silent listener was dropped');
    assert.ok(alive.of(DatagramType.AUDIO).length > aliveCount + 10, 'the other still gets audio');
    assert.equal(await radioField('listeners'), '1');
    alive.leave();
  });

  it('never answers malformed datagrams, and counts them', async () => {
    const prober = await peer(daemon.udpPort);
    const before = await stat('udp_malformed');
    const valid = subscribeDatagram('x');
    const wrongVersion = Buffer.from(valid);
    wrongVersion[2] = 2;
    const unknownType = Buffer.from(valid);
    unknownType[3] = 99;
    const wrongMagic = Buffer.from(valid);
    wrongMagic[0] = 0x58;
    const junk = [
      Buffer.alloc(0),
      Buffer.alloc(65_507, 0x53),
      wrongMagic,
      wrongVersion,
      valid.subarray(0, HEADER_BYTES - 1),
      unknownType,
      valid.subarray(0, MIN_SUBSCRIBE_BYTES - 1), // a short SUBSCRIBE
      encodeDatagram({ type: DatagramType.AUDIO, stream: 1, sequence: 0, position: 0, payload: Buffer.from('x') }), // wrong direction
      tokenDatagram(DatagramType.KEEPALIVE, 0, Buffer.alloc(8, 7)), // a token never given
    ];
    for (const bytes of junk) prober.send(bytes);
    await until('every one counted', async () => (await stat('udp_malformed')) - before >= junk.length);
    assert.equal((await stat('udp_malformed')) - before, junk.length);
    assert.equal(prober.raw.length, 0, 'no reply to any of them');
    // The daemon still serves.
    await prober.listen();
    await prober.until(() => prober.of(DatagramType.AUDIO).length > 0);
    prober.leave();
  });
});

describe('radio programme', () => {
  it('sends INFO on every new song (WAV encoded to MP3 on the fly) and END when a programme without loop is over', async () => {
    const short = await startTestDaemon(library, { radio: { playlist: ['a-short.wav', 'b-short.mp3'], loop: false } });
    try {
      const listener = await UdpPeer.open(short.udpPort);
      peers.push(listener);
      await listener.listen();
      await listener.until(() => listener.of(DatagramType.END).length === 1, 12_000, 'END');
      const infos = listener.of(DatagramType.INFO).map((d) => parseInfo(d.payload)!);
      assert.deepEqual([...new Set(infos.map((info) => info.file))], ['a-short.wav', 'b-short.mp3']);
      const audio = listener.of(DatagramType.AUDIO);
      const firstMono = audio.findIndex((d) => parseMpegHeader(d.payload, 0)!.channels === 1);
      assert.ok(firstMono > 0, 'the WAV (stereo, encoded) then the mono MP3');
      const wav = await decodeMp3(Buffer.concat(audio.slice(0, firstMono).map((d) => d.payload)));
      assert.equal(wav.sampleRate, 44100);
      assert.ok(wav.samples[0]!.length > 44100 * 2, `the encoded WAV decodes to ${wav.samples[0]!.length} samples`);
      const mp3 = await decodeMp3(Buffer.concat(audio.slice(firstMono).map((d) => d.payload)));
      assert.equal(mp3.sampleRate, 22050);
      // After END, the programme is over: a new SUBSCRIBE is refused.
      const late = await UdpPeer.open(short.udpPort);
      peers.push(late);
      late.send(subscribeDatagram('late'));
      await late.until(() => late.of(DatagramType.REJECT).length === 1);
      assert.equal(parseReject(late.of(DatagramType.REJECT)[0]!.payload).reason, RejectReason.BAD_REQUEST);
    } finally {
      await short.stop();
    }
  });

  it('with radio.enabled false, says REJECT (bad request) and radio: off', async () => {
    const off = await startTestDaemon(library, { radio: { enabled: false } });
    try {
      const listener = await UdpPeer.open(off.udpPort);
      peers.push(listener);
      listener.send(subscribeDatagram('anyone'));
      await listener.until(() => listener.of(DatagramType.REJECT).length === 1);
      assert.deepEqual(parseReject(listener.of(DatagramType.REJECT)[0]!.payload), {
        reason: RejectReason.BAD_REQUEST,
        text: 'the radio is off',
      });
      const own = (await TestClient.connect(off.port)).client;
      assert.equal((await own.command('radio')).fields.find(([k]) => k === 'radio')?.[1], 'off');
      own.close();
    } finally {
      await off.stop();
    }
  });

  it('keeps its place in real time with nobody listening', async () => {
    const idle = await startTestDaemon(library, { radio: { playlist: ['c-long.mp3'] } });
    try {
      const tcp = (await TestClient.connect(idle.port)).client;
      await until('1.5 s of programme with nobody listening', async () => {
        const position = (await tcp.command('radio')).fields.find(([key]) => key === 'position')?.[1];
        return Number(position) >= 1.5;
      });
      tcp.close();
      const listener = await UdpPeer.open(idle.udpPort);
      peers.push(listener);
      await listener.listen();
      await listener.until(() => listener.of(DatagramType.AUDIO).length > 0);
      const first = listener.of(DatagramType.AUDIO)[0]!;
      const info = parseInfo(listener.of(DatagramType.INFO)[0]!.payload)!;
      const intoSong = first.position - (info.started_ms ?? 0);
      assert.ok(intoSong >= 1400 && intoSong < 2500, `joined ${intoSong} ms into the song`);
      listener.leave();
    } finally {
      await idle.stop();
    }
  });
});
