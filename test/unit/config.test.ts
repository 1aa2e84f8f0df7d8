import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../../common/config-schema.js';
import { ConfigError, loadDaemonConfig } from '../../daemon/config.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'streamd-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const example = new URL('../../../config.example.json', import.meta.url);

describe('daemon config', () => {
  it('config.example.json is valid and holds exactly the defaults', () => {
    const config = loadDaemonConfig({}, example.pathname);
    const { state_dir: _s, playlist_dir: _p, configFile: _c, music: _m, ...rest } = config;
    const { state_dir: _ds, playlist_dir: _dp, music: _dm, ...defaults } = DEFAULT_SETTINGS;
    assert.deepEqual(rest, defaults);
    const keys = Object.keys(JSON.parse(readFileSync(example, 'utf8'))).filter((k) => !k.startsWith('//'));
    assert.deepEqual(keys.sort(), Object.keys(DEFAULT_SETTINGS).sort(), 'it shows every key');
  });

  it('merges the radio and udp sections key by key, and names a bad nested value', () => {
    const file = path.join(dir, 'radio.json');
    writeFileSync(file, '{"radio": {"loop": false, "// note": "a comment"}}');
    const config = loadDaemonConfig({}, file);
    assert.deepEqual(config.radio, { ...DEFAULT_SETTINGS.radio, loop: false });
    writeFileSync(file, '{"radio": {"max_listeners": -1}}');
    assert.throws(() => loadDaemonConfig({}, file), /radio.*max_listeners/);
    writeFileSync(file, '{"udp": {"stream_rate": 5}}');
    assert.throws(() => loadDaemonConfig({}, file), /udp. must NOT have additional properties/);
  });

  it('an empty file is no settings, and a file that is not JSON is said so, with its name', () => {
    const file = path.join(dir, 'empty.json');
    for (const text of ['', '  \n']) {
      writeFileSync(file, text);
      assert.equal(loadDaemonConfig({}, file).port, DEFAULT_SETTINGS.port);
    }
    writeFileSync(file, '{"port": 9999,');
    assert.throws(() => loadDaemonConfig({}, file), /config file: not valid JSON \(/);
  });

  it('does not rewrite the file it reads', () => {
    const file = path.join(dir, 'mine.json');
    writeFileSync(file, '{"port": 9999}');
    loadDaemonConfig({}, file);
    assert.equal(readFileSync(file, 'utf8'), '{"port": 9999}');
  });

  it('lets command-line values win, and validates them too', () => {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, '{"port": 9999, "max_connections": 5}');
    const config = loadDaemonConfig({ port: 1234 }, file);
    assert.equal(config.port, 1234);
    assert.equal(config.max_connections, 5);
    assert.throws(
      () => loadDaemonConfig({ port: 70000 }, file),
      (e: unknown) => e instanceof ConfigError && /`port`/.test(e.message),
    );
  });
});
