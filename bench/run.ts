/**
 * `npm run bench`: runs every benchmark and prints its tables (markdown). With `--write` the
 * result also replaces the generated part of docs/benchmarks.md. Not a test: nothing here fails
 * on a number.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { busyMachineBench } from './busy-machine.js';
import { callLatencyBench } from './call-latency.js';
import { callsBench } from './calls.js';
import { catalogBench } from './catalog.js';
import { decodeBench } from './decode.js';
import { downloadBench } from './download.js';
import { folderWatchBench } from './folder-watch.js';
import { fuzzyBench } from './fuzzy.js';
import { gaplessBench } from './gapless.js';
import { handoffBench } from './handoff.js';
import { icecastBench } from './icecast.js';
import { machine } from './lib.js';
import { mixedScanBench } from './mixed-scan.js';
import { keyToSoundBench } from './key-to-sound.js';
import { listenAlongBench } from './listen-along.js';
import { loudnessBench } from './loudness.js';
import { playerBench, playerFlacBench } from './player.js';
import { pushBench } from './push.js';
import { radioBench } from './radio.js';
import { startupBench } from './startup.js';
import { subsonicBench } from './subsonic.js';
import { remoteBench } from './remote.js';
import { udpSongsBench } from './udp-songs.js';

const sections: Array<[string, () => Promise<string>]> = [
  ['Download throughput (loopback)', downloadBench],
  ['Catalog and memory', catalogBench],
  ['Mixed library scan beside MPD', mixedScanBench],
  ['Folder watch under a crowd', folderWatchBench],
  ['Start-up to the library on screen', startupBench],
  ['Decoding speed', decodeBench],
  ['Loudness of untagged songs beside loudgain', loudnessBench],
  ['Player', playerBench],
  ['Player CPU playing FLAC beside MPD', playerFlacBench],
  ['Key to sound (PulseAudio null sink)', keyToSoundBench],
  ['Gapless joins (PulseAudio null sink)', gaplessBench],
  ['Gaps on a busy machine (PulseAudio null sink)', busyMachineBench],
  ['Fuzzy search', fuzzyBench],
  ['Listening along (two rooms, PulseAudio)', listenAlongBench],
  ['Push events', pushBench],
  ['Radio fan-out (UDP, loopback)', radioBench],
  ['Radio through Icecast', icecastBench],
  ['Songs over UDP vs TCP', udpSongsBench],
  ['Calls through one daemon', callsBench],
  ['Call mouth to ear (PulseAudio, loopback)', callLatencyBench],
  ['The Subsonic API beside supysonic', subsonicBench],
  ['Devices you can drive (PulseAudio null sink)', remoteBench],
  ['Handoff between two rooms (PulseAudio)', handoffBench],
];

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const parts = [`Machine: ${machine()}. Run on ${new Date().toISOString().slice(0, 10)}.`];
for (const [title, run] of sections) {
  if (only.length > 0 && !only.some((o) => title.toLowerCase().includes(o))) continue;
  process.stderr.write(`running: ${title}\n`);
  // A section run alone says its own machine and day: the document's first line is another run's.
  const own = only.length > 0 ? `${parts[0]}\n\n` : '';
  parts.push(`### ${title}\n\n${own}${await run()}`);
}
const result = parts.join('\n\n');
console.log(result);

if (process.argv.includes('--write')) {
  const file = new URL('../../docs/benchmarks.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const old = doc.slice(doc.indexOf(begin) + begin.length, doc.indexOf(end)).trim();
  // Sections that did not run this time (a filter was given) keep their last results.
  const kept = old.split(/\n(?=### )/).slice(1);
  const ran = parts.slice(1);
  const titleOf = (part: string): string => part.slice(4, part.indexOf('\n'));
  const merged = sections
    .map(([title]) => ran.find((part) => titleOf(part) === title) ?? kept.find((part) => titleOf(part) === title))
    .filter((part): part is string => part !== undefined)
    .map((part) => part.trim());
  // Trimmed: the blank line before the first section is the join's, not the machine line's.
  const oldMachine = (old.split(/\n(?=### )/)[0] as string).trim();
  const machineLine = only.length > 0 ? oldMachine : (parts[0] as string);
  writeFileSync(
    file,
    `${doc.slice(0, doc.indexOf(begin) + begin.length)}\n${[machineLine, ...merged].join('\n\n')}\n${doc.slice(doc.indexOf(end))}`,
  );
}
