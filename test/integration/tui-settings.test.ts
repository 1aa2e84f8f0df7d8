/** streamtui's settings file, on real files: flags apply to their run, --save stores them privately. */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSettings } from '../../tui/app/settings.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'streamtui-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = (): string => path.join(dir, `config-${files++}.json`);

describe('streamtui settings', () => {
  it('a flag applies to the run it is given on, and is not written anywhere', () => {
    const file = fresh();
    const run = loadSettings({ port: 1, audio: 'null', password: 'secret' }, file);
    assert.equal(run.port, 1);
    assert.equal(run.audio, 'null');
    assert.equal(existsSync(file), false, 'nothing written');
    const next = loadSettings({}, file);
    assert.equal(next.port, 9090, 'the next run is back to the default');
    assert.equal(next.audio, 'auto');
    assert.equal(next.password, null);
  });

  it('the file holds what the user wrote, and flags go over it for one run', () => {
    const file = fresh();
    writeFileSync(file, JSON.stringify({ host: 'music.lan', jitter_ms: 500 }), { mode: 0o644 });
    const run = loadSettings({ jitter_ms: 80 }, file);
    assert.equal(run.host, 'music.lan');
    assert.equal(run.jitter_ms, 80);
    assert.deepEqual(
      JSON.parse(readFileSync(file, 'utf8')),
      { host: 'music.lan', jitter_ms: 500 },
      'the file as the user wrote it',
    );
  });

  it('a device name may have spaces and letters of any script; a bad one is said in words', () => {
    assert.equal(loadSettings({ name: 'Living Room' }, fresh()).name, 'Living Room');
    assert.equal(loadSettings({ name: 'Ku\u0308che' }, fresh()).name, 'K\u00fcche', 'in one Unicode form');
    assert.throws(
      () => loadSettings({ name: 'desk/2' }, fresh()),
      /^Error: --name 'desk\/2': a device name is 1-64 letters, digits, spaces and \. _ - ' \(no space first or last\)$/,
    );
    const file = fresh();
    writeFileSync(file, JSON.stringify({ name: ' spaced' }), { mode: 0o600 });
    assert.throws(() => loadSettings({}, file), new RegExp(`settings file ${file}: name ' spaced': a device name is`));
  });

  it('an empty file is no settings; one that is not JSON is named', () => {
    const file = fresh();
    writeFileSync(file, '', { mode: 0o600 });
    assert.equal(loadSettings({}, file).port, 9090);
    writeFileSync(file, '{"port":', { mode: 0o600 });
    assert.throws(() => loadSettings({}, file), new RegExp(`settings file ${file}: not valid JSON \\(`));
  });

  it('a value in the file that does not fit is named with the file and its key', () => {
    const file = fresh();
    writeFileSync(file, JSON.stringify({ port: 70000 }), { mode: 0o600 });
    assert.throws(() => loadSettings({}, file), new RegExp(`^Error: settings file ${file}: port must be <= 65535$`));
    writeFileSync(file, JSON.stringify({ transport: 'sctp' }), { mode: 0o600 });
    assert.throws(() => loadSettings({}, file), /: transport must be one of tcp, udp$/);
    writeFileSync(file, JSON.stringify({ password: 5 }), { mode: 0o600 });
    assert.throws(() => loadSettings({}, file), /: password must be string or null$/);
    writeFileSync(file, '[9090]', { mode: 0o600 });
    assert.throws(() => loadSettings({}, file), /: not a JSON object of settings$/);
    writeFileSync(file, JSON.stringify({ some_later_setting: true, port: 9100 }), { mode: 0o600 });
    assert.equal(loadSettings({}, file).port, 9100, 'a key it does not know is let through');
  });

  it('--save stores the flags, in a file only its owner can read', () => {
    const file = fresh();
    loadSettings({ host: 'music.lan', password: 'secret' }, file, true);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const next = loadSettings({}, file);
    assert.equal(next.host, 'music.lan');
    assert.equal(next.password, 'secret');
    loadSettings({ port: 9100 }, file, true);
    assert.deepEqual(
      JSON.parse(readFileSync(file, 'utf8')),
      { host: 'music.lan', password: 'secret', port: 9100 },
      'added to what was stored',
    );
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('refuses a file that holds a password and others can read, saying how to fix it', () => {
    const file = fresh();
    writeFileSync(file, JSON.stringify({ password: 'secret' }));
    chmodSync(file, 0o644);
    assert.throws(() => loadSettings({}, file), /holds a password and is readable by others \(mode 644\): chmod 600 /);
    chmodSync(file, 0o640);
    assert.throws(() => loadSettings({}, file), /mode 640/);
    chmodSync(file, 0o600);
    assert.equal(loadSettings({}, file).password, 'secret');
  });

  it('a bad flag is named', () => {
    assert.throws(() => loadSettings({ port: 70000 }, fresh()), /--port must be <= 65535/);
    assert.throws(() => loadSettings({ jitter_ms: 1 }, fresh()), /--jitter-ms must be >= 20/);
    assert.throws(() => loadSettings({ port: Number('x') }, fresh()), /--port must be integer/);
  });
});
