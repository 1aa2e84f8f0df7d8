/**
 * Remote control on the daemon (docs/protocol.md, Remote control) over real sockets: `att player`
 * in the device records, `remote` kept for its device and waking only its `idle remote`, `remotes`
 * handing the commands over in order, and every refusal: an older player, one that refuses, an
 * unknown device, song or action, a full inbox; what waited is forgotten with its device.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestClient, records, type Response } from '../helpers/client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { MAX_QUEUED_BY_NAME } from '../../daemon/commands/remote-commands.js';
import { makeFixtureLibrary, type FixtureLibrary } from '../helpers/fixtures.js';
import { until } from '../helpers/log-capture.js';

let library: FixtureLibrary;
let daemon: TestDaemon;
const clients: TestClient[] = [];

before(async () => {
  library = makeFixtureLibrary();
  daemon = await startTestDaemon(library.root);
});
after(async () => {
  for (const client of clients) client.close();
  await daemon.stop();
  library.cleanup();
});

async function device(name: string, ...player: string[]): Promise<TestClient> {
  const client = (await TestClient.connect(daemon.port)).client;
  clients.push(client);
  assert.equal((await client.command('hello', name)).ok, true);
  if (player.length > 0) assert.equal((await client.command('att player', ...player)).ok, true);
  return client;
}
const changed = (response: Response): string[] => response.fields.filter(([k]) => k === 'changed').map(([, v]) => v);
const refusal = (response: Response): string => `${response.ok ? 'OK' : response.code}: ${response.text}`;

describe('remote control', () => {
  it('shows what a player says of itself in its device record, parts kept as they were', async () => {
    const kitchen = await device('kitchen-a', 'volume', '80', 'queue', '12', 'control', 'yes');
    assert.equal((await kitchen.command('att player', 'volume', '35')).ok, true);
    const list = records(await kitchen.command('lista dispositivos'), 'device');
    const record = list.find((fields) => fields.get('device') === 'kitchen-a');
    assert.equal(record?.get('volume'), '35');
    assert.equal(record?.get('queue_length'), '12');
    assert.equal(record?.get('control'), 'yes');
    assert.equal(record?.get('queue_pos'), undefined, 'no entry said yet');
    const bad = await kitchen.command('att player', 'volume', '140');
    assert.equal(bad.code, 'bad_argument');
    // The entry playing: said, kept with the rest, and left out once none plays.
    const posOf = async (): Promise<string | undefined> =>
      records(await kitchen.command('lista dispositivos'), 'device')
        .find((fields) => fields.get('device') === 'kitchen-a')
        ?.get('queue_pos');
    assert.equal((await kitchen.command('att player', 'pos', '4')).ok, true);
    assert.equal(await posOf(), '4');
    assert.equal((await kitchen.command('att player', 'volume', '30')).ok, true);
    assert.equal(await posOf(), '4');
    assert.equal((await kitchen.command('att player', 'pos', '0')).ok, true);
    assert.equal(await posOf(), '0');
    assert.equal((await kitchen.command('att player', 'pos', 'none')).ok, true);
    assert.equal(await posOf(), undefined);
  });

  it('keeps a command for its device, wakes only its idle, and hands the commands over in order', async () => {
    const kitchen = await device('kitchen-b', 'control', 'yes');
    const laptop = await device('laptop-b');
    const bystander = await device('bystander-b', 'control', 'yes');
    kitchen.send('idle remote\n');
    bystander.send('idle remote\n');
    const song = 'lame/vbr-xing.mp3';
    const sent = await laptop.command('remote', 'KITCHEN-B', 'play', song, 'lamejs-cbr');
    assert.equal(sent.ok, true, sent.text);
    assert.deepEqual(changed(await kitchen.next()), ['remote']);
    assert.equal((await laptop.command('remote', 'kitchen-b', 'seek', '61.5')).ok, true);
    assert.equal((await laptop.command('remote', 'kitchen-b', 'volume', '40')).ok, true);
    const taken = records(await kitchen.command('remotes'), 'remote');
    assert.deepEqual(
      taken.map((fields) => [fields.get('from'), fields.get('action')]),
      [
        ['laptop-b', 'play'],
        ['laptop-b', 'seek'],
        ['laptop-b', 'volume'],
      ],
    );
    assert.equal(taken[1]?.get('seconds'), '61.5');
    assert.equal(taken[2]?.get('volume'), '40');
    assert.equal((await kitchen.command('remotes')).fields.length, 0, 'taken once');
    assert.equal(await bystander.nextWithin(200), undefined, 'another device is not woken');
    bystander.send('noidle\n');
    assert.deepEqual(changed(await bystander.next()), []);
  });

  it('sends songs as the catalog names them: a name given becomes its path', async () => {
    const kitchen = await device('kitchen-c', 'control', 'yes');
    const laptop = await device('laptop-c');
    assert.equal((await laptop.command('remote', 'kitchen-c', 'add', 'lamejs-cbr')).ok, true);
    const [record] = records(await kitchen.command('remotes'), 'remote');
    assert.equal(record?.get('file'), 'lamejs-cbr.mp3');
  });

  it('refuses what cannot be done, saying why, and takes nothing', async () => {
    await device('older-d');
    await device('shy-d', 'control', 'no');
    const open = await device('open-d', 'control', 'yes');
    const laptop = await device('laptop-d');
    assert.match(
      refusal(await laptop.command('remote', 'older-d', 'pause')),
      /^unavailable: .*does not take remote control/,
    );
    assert.match(refusal(await laptop.command('remote', 'shy-d', 'pause')), /^permission: .*refuses remote control/);
    assert.match(refusal(await laptop.command('remote', 'nobody-d', 'pause')), /^not_found: no device/);
    assert.match(refusal(await laptop.command('remote', 'open-d', 'dance')), /^bad_argument: the action is one of/);
    assert.match(refusal(await laptop.command('remote', 'open-d', 'volume', '101')), /^bad_argument/);
    assert.match(refusal(await laptop.command('remote', 'open-d', 'play', '../../etc/passwd')), /^not_found/);
    assert.match(refusal(await laptop.command('remote', 'open-d', 'add')), /^bad_argument/);
    assert.match(refusal(await laptop.command('remote', 'open-d')), /^bad_argument/);
    assert.equal((await open.command('remotes')).fields.length, 0, 'nothing was kept');
  });

  it('hands a send on with the receiver as the daemon names it, once the receiver can take it', async () => {
    const kitchen = await device('kitchen-s', 'control', 'yes');
    await device('Bedroom-S', 'control', 'yes');
    await device('shy-s', 'control', 'no');
    await device('older-s');
    const laptop = await device('laptop-s');
    assert.equal((await laptop.command('remote', 'kitchen-s', 'send', 'bedroom-s')).ok, true);
    const [record] = records(await kitchen.command('remotes'), 'remote');
    assert.equal(record?.get('action'), 'send');
    assert.equal(record?.get('to'), 'Bedroom-S');
    assert.match(refusal(await laptop.command('remote', 'kitchen-s', 'send', 'nobody-s')), /^not_found: no device/);
    assert.match(refusal(await laptop.command('remote', 'kitchen-s', 'send', 'shy-s')), /^permission: /);
    assert.match(refusal(await laptop.command('remote', 'kitchen-s', 'send', 'older-s')), /^unavailable: /);
    assert.match(refusal(await laptop.command('remote', 'kitchen-s', 'send', 'KITCHEN-S')), /^bad_argument: .*itself/);
    assert.match(refusal(await laptop.command('remote', 'kitchen-s', 'send', 'a/b')), /^bad_argument: .*device name/);
    assert.equal((await kitchen.command('remotes')).fields.length, 0, 'no refused send was kept');
  });

  it('hands a follow on with the leader as the daemon names it; the leader need not take remote control', async () => {
    const bedroom = await device('bedroom-f', 'control', 'yes');
    await device('Kitchen-F', 'control', 'no');
    const laptop = await device('laptop-f');
    assert.equal((await laptop.command('remote', 'bedroom-f', 'follow', 'kitchen-f')).ok, true);
    const [record] = records(await bedroom.command('remotes'), 'remote');
    assert.equal(record?.get('action'), 'follow');
    assert.equal(record?.get('leader'), 'Kitchen-F');
    assert.match(refusal(await laptop.command('remote', 'bedroom-f', 'follow', 'nobody-f')), /^not_found: no device/);
    assert.match(
      refusal(await laptop.command('remote', 'bedroom-f', 'follow', 'BEDROOM-F')),
      /^bad_argument: .*itself/,
    );
    assert.match(refusal(await laptop.command('remote', 'bedroom-f', 'follow')), /^bad_argument: .*device name/);
    assert.match(refusal(await laptop.command('remote', 'kitchen-f', 'follow', 'bedroom-f')), /^permission: /);
    assert.equal((await bedroom.command('remotes')).fields.length, 0, 'no refused follow was kept');
  });

  it('keeps the queue a device says, in lines from an offset, for any client to read; a change wakes idle devices', async () => {
    const kitchen = await device('kitchen-q', 'control', 'yes');
    const laptop = await device('laptop-q');
    assert.equal((await laptop.command('queue', 'kitchen-q')).code, 'unavailable', 'said none yet');
    laptop.send('idle devices\n');
    const first = await kitchen.command('att queue', '0', 'lamejs-cbr', 'lame/vbr-xing.mp3');
    assert.equal(first.ok, true, first.text);
    assert.deepEqual(changed(await laptop.next()), ['devices']);
    const version = (response: Response): string | undefined =>
      response.fields.find(([key]) => key === 'queue_version')?.[1];
    const files = (response: Response): string[] => response.fields.filter(([k]) => k === 'file').map(([, v]) => v);
    const read = await laptop.command('queue', 'KITCHEN-Q');
    assert.deepEqual(files(read), ['lamejs-cbr.mp3', 'lame/vbr-xing.mp3'], 'names become paths');
    const record = records(await laptop.command('lista dispositivos'), 'device').find(
      (fields) => fields.get('device') === 'kitchen-q',
    );
    assert.equal(record?.get('queue_version'), version(read), 'the record says which version it is');
    // From entry 1 on: one more song after the first; then the queue cut to its first entry.
    assert.equal((await kitchen.command('att queue', '1', 'lame/mono-22k.mp3', 'lame/rate-48k.mp3')).ok, true);
    const second = await laptop.command('queue', 'kitchen-q');
    assert.deepEqual(files(second), ['lamejs-cbr.mp3', 'lame/mono-22k.mp3', 'lame/rate-48k.mp3']);
    assert.notEqual(version(second), version(read));
    assert.equal((await kitchen.command('att queue', '1')).ok, true);
    assert.deepEqual(files(await laptop.command('queue', 'kitchen-q')), ['lamejs-cbr.mp3']);
    // What cannot be kept changes nothing.
    assert.match(refusal(await kitchen.command('att queue', '5', 'lamejs-cbr')), /^bad_argument: the queue has 1/);
    assert.match(refusal(await kitchen.command('att queue', '-1')), /^bad_argument/);
    assert.match(refusal(await kitchen.command('att queue', '9999999', 'lamejs-cbr')), /^bad_argument/);
    assert.deepEqual(files(await laptop.command('queue', 'kitchen-q')), ['lamejs-cbr.mp3']);
    // A song that left the library stays in its place by its name: it is a name, never opened.
    assert.equal((await kitchen.command('att queue', '1', 'Gone/away.mp3', '../../etc/passwd', 'lamejs-cbr')).ok, true);
    assert.deepEqual(files(await laptop.command('queue', 'kitchen-q')), [
      'lamejs-cbr.mp3',
      'Gone/away.mp3',
      '../../etc/passwd',
      'lamejs-cbr.mp3',
    ]);
    assert.equal((await kitchen.command('att queue', '1')).ok, true);
    // Names from outside the catalog are few: past MAX_QUEUED_BY_NAME, refused, and nothing changes.
    const gone = (from: number, count: number): string[] =>
      Array.from({ length: count }, (_, i) => `Gone/${from + i}.mp3`);
    assert.equal((await kitchen.command('att queue', '1', ...gone(0, MAX_QUEUED_BY_NAME))).ok, true);
    const over = await kitchen.command('att queue', String(1 + MAX_QUEUED_BY_NAME), ...gone(MAX_QUEUED_BY_NAME, 1));
    assert.match(refusal(over), /^bad_argument: a queue keeps at most 64 songs not in the library/);
    assert.equal(files(await laptop.command('queue', 'kitchen-q')).length, 1 + MAX_QUEUED_BY_NAME);
    assert.equal((await kitchen.command('att queue', '1')).ok, true);
    assert.deepEqual(files(await laptop.command('queue', 'kitchen-q')), ['lamejs-cbr.mp3']);
    assert.match(refusal(await laptop.command('queue', 'nobody-q')), /^not_found/);
    // Forgotten with the device.
    kitchen.close();
    await until('the kitchen gone', async () => (await laptop.command('queue', 'kitchen-q')).code === 'not_found');
  });

  it('keeps 64 commands a device has not taken, refuses more, and forgets them with the device', async () => {
    const kitchen = await device('kitchen-e', 'control', 'yes');
    const laptop = await device('laptop-e');
    for (let i = 0; i < 64; i++) assert.equal((await laptop.command('remote', 'kitchen-e', 'next')).ok, true);
    assert.match(refusal(await laptop.command('remote', 'kitchen-e', 'next')), /^busy: .*64 remote commands/);
    kitchen.close();
    const listed = async (): Promise<boolean> =>
      records(await laptop.command('lista dispositivos'), 'device').some(
        (fields) => fields.get('device') === 'kitchen-e',
      );
    while (await listed()) await new Promise((resolve) => setTimeout(resolve, 20));
    // The name taken again is another device: nothing waits for it.
    const again = await device('kitchen-e', 'control', 'yes');
    assert.equal((await again.command('remotes')).fields.length, 0);
  });
});
