/**
 * The direction of imports (docs/architecture.md), checked over the source tree as text:
 * `common/` imports neither side and owns no socket, file or process; the daemon and the player
 * never import each other; in `tui/`, wiring -> state/views/sync/playback/calls -> client/cache/audio,
 * never back up, and of the middle folders only `state/` (the shared vocabulary) is imported by the
 * others.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(path.join(ROOT, file)).isDirectory()) return sources(file);
    return name.endsWith('.ts') ? [file] : [];
  });
}

/** Every module a file imports (static, dynamic, re-export), relative ones as paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] as string);
  return specifiers.map((spec) =>
    spec.startsWith('.') ? path.join(path.dirname(file), spec).replace(/\.js$/, '.ts') : spec,
  );
}

const WIRING = new Set([
  'tui/app.ts',
  'tui/cli.ts',
  'tui/settings.ts',
  'tui/connection-events.ts',
  'tui/state-followers.ts',
  'tui/listen-along.ts',
  'tui/render-scheduler.ts',
  'tui/ticker.ts',
  'tui/periodic-work.ts',
]);
const MIDDLE = ['state', 'views', 'sync', 'playback', 'calls', 'desktop'];
const BOTTOM = ['client', 'cache', 'audio', 'store'];
/** The tui layer of a file: 0 wiring, 1 middle, 2 client/cache/audio. */
function layerOf(file: string): { layer: number; folder: string } {
  if (WIRING.has(file)) return { layer: 0, folder: '' };
  const folder = file.split(path.sep)[1] as string;
  if (MIDDLE.includes(folder)) return { layer: 1, folder };
  if (BOTTOM.includes(folder)) return { layer: 2, folder };
  throw new Error(`${file} is in no known layer of tui/: add it to docs/architecture.md and this test`);
}

/** What is wrong with `file` importing `target`, or undefined. */
function violation(file: string, target: string): string | undefined {
  const side = (name: string): string => name.split(path.sep)[0] as string;
  if (!target.endsWith('.ts')) {
    if (side(file) === 'common' && /^node:(fs|net|dgram|child_process|fs\/promises|worker_threads)$/.test(target))
      return 'common/ owns no file, socket or process';
    return undefined;
  }
  if (side(file) === 'common' && side(target) !== 'common') return 'common/ imports neither side';
  if (side(file) === 'daemon' && side(target) === 'tui') return 'the daemon never imports the player';
  if (side(file) === 'tui' && side(target) === 'daemon') return 'the player never imports the daemon';
  if (side(file) !== 'tui' || side(target) !== 'tui') return undefined;
  const from = layerOf(file);
  const to = layerOf(target);
  if (to.layer < from.layer) return 'imports point down: wiring -> state/views/sync/playback -> client/cache/audio';
  if (from.layer === 1 && to.layer === 1 && from.folder !== to.folder && to.folder !== 'state')
    return `${from.folder}/ may use state/ of the middle folders, not ${to.folder}/`;
  if (from.folder === 'state' && to.folder !== 'state') return 'state/ is pure: it imports no other tui folder';
  return undefined;
}

describe('import direction', () => {
  const files = ['common', 'daemon', 'tui'].flatMap(sources);

  it('holds for every source file', () => {
    const wrong = files.flatMap((file) =>
      importsOf(file).flatMap((target) => {
        const why = violation(file, target);
        return why ? [`${file} -> ${target}: ${why}`] : [];
      }),
    );
    assert.deepEqual(wrong, []);
  });

  it('the check catches what it is for', () => {
    const table: Array<[string, string, RegExp | undefined]> = [
      ['common/protocol/args.ts', 'daemon/log.ts', /neither side/],
      ['common/protocol/args.ts', 'node:net', /owns no/],
      ['daemon/main.ts', 'tui/app.ts', /never imports the player/],
      ['tui/audio/sink.ts', 'tui/playback/mixer.ts', /point down/],
      ['tui/client/daemon-client.ts', 'tui/app.ts', /point down/],
      ['tui/playback/playback.ts', 'tui/sync/daemon-sync.ts', /not sync/],
      ['tui/state/state.ts', 'tui/client/daemon-client.ts', /state\/ is pure/],
      ['tui/views/view.ts', 'tui/state/state.ts', undefined],
      ['tui/app.ts', 'tui/playback/playback.ts', undefined],
      ['tui/playback/playback.ts', 'tui/audio/sink.ts', undefined],
    ];
    for (const [file, target, expected] of table) {
      const why = violation(file.split('/').join(path.sep), target.split('/').join(path.sep));
      if (expected) assert.match(why ?? '', expected, `${file} -> ${target}`);
      else assert.equal(why, undefined, `${file} -> ${target}`);
    }
  });
});

describe('version', () => {
  it('common/version.ts says what package.json says', async () => {
    const { VERSION } = await import('../../common/version.js');
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});
