// Runs every compiled test file (dist/test/**/*.test.js), each in its own `node --test` process
// and process group: unit and integration files two at a time, then the end-to-end files (real
// time audio, tmux) one at a time, so that their timing does not compete for the machine's two
// cores. One line per file; the output of a file only when it fails (its last lines): CI's log is
// bounded, and the node runner's TAP of every test (over 100 KB) was more than it kept.
//
// Nothing here can hang CI: every test has a default timeout, every file a deadline after which
// its process group is killed, and the runner never waits on a pipe that something a test left
// behind may hold (it waits for the file's process, not for the end of its output). A process left
// alive in a file's group after the file ended is a failure of that file, and is killed.
// Optimizing compiles run on the main thread (--no-concurrent-recompilation, passed on to each
// file's process): with them in the background, Node 20 sometimes deadlocks at exit
// (nodejs/node#54918); here, one exit in 15 to 40 of the voice jitter test, which hung CI.
//
//   node test/run.js [part ...] [--verbose]   parts select files whose path contains them
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { clearTimeout, setTimeout } from 'node:timers';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'test');
const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const only = args.filter((arg) => arg !== '--verbose');
const testTimeoutMs = 180_000;
const fileDeadlineMs = 600_000;
/** CI stops a run at 90 minutes; past this budget no new file starts, so the report still comes out. */
const runBudgetMs = 50 * 60_000;
/** Lines of a failing file's output shown (its last). */
const failureLines = 200;

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === 'helpers' ? [] : find(file);
    return name.endsWith('.test.js') ? [file] : [];
  });
}

const files = find(root)
  .filter((file) => only.length === 0 || only.some((part) => file.includes(part)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under', root);
  process.exit(1);
}

/**
 * The live processes left in the group ("pid (command)"). Read from /proc, for a zombie answers signals
 * too, and where PID 1 does not reap orphans (some containers) one stays until the machine ends.
 */
function groupMembers(pgid) {
  const members = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') members.push(stat.slice(0, stat.lastIndexOf(')') + 1));
  }
  return members;
}

function killGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs one file; resolves with what happened, never rejects, never waits past the deadline. */
function runFile(file) {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    ['--no-concurrent-recompilation', '--test', '--test-reporter=spec', `--test-timeout=${testTimeoutMs}`, file],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  return new Promise((resolve) => {
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, fileDeadlineMs);
    child.once('exit', async (code, signal) => {
      clearTimeout(deadline);
      // The group's leader is gone; give what it started a few seconds to end with it.
      for (let waited = 0; waited < 3000 && groupMembers(child.pid).length > 0; waited += 100)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const leftBehind = timedOut ? [] : groupMembers(child.pid);
      if (leftBehind.length > 0) killGroup(child.pid);
      const text = Buffer.concat(output).toString('utf8');
      const tests = /^ℹ tests (\d+)/m.exec(text)?.[1] ?? '?';
      resolve({ file, code, signal, timedOut, leftBehind, text, tests, seconds: (Date.now() - started) / 1000 });
    });
  });
}

function report(result) {
  const name = path.relative(path.dirname(root), result.file);
  const failed = result.code !== 0 || result.timedOut || result.leftBehind.length > 0;
  const why = result.timedOut
    ? `killed after ${fileDeadlineMs / 1000} s`
    : result.leftBehind.length > 0
      ? `left running after it ended: ${result.leftBehind.join(', ')}`
      : result.code !== 0
        ? `exit ${result.code ?? result.signal}`
        : `${result.tests} tests`;
  console.log(`${failed ? 'FAIL' : 'ok  '} ${result.seconds.toFixed(1).padStart(6)} s  ${name}  (${why})`);
  if (verbose) console.log(result.text.replace(/^/gm, '     | '));
  else if (failed) {
    // CI keeps a bounded log: the end of a failing file's output is where the reasons are.
    const lines = result.text.trimEnd().split('\n');
    if (lines.length > failureLines) console.log(`     | ... (${lines.length - failureLines} lines before)`);
    console.log(lines.slice(-failureLines).join('\n').replace(/^/gm, '     | '));
  }
  return failed;
}

async function runGroup(group, concurrency) {
  const queue = [...group];
  const failures = [];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      if (Date.now() - runStarted > runBudgetMs) {
        console.log(
          `FAIL          ${path.relative(path.dirname(root), file)}  (not run: the run's ${runBudgetMs / 60_000} min are spent)`,
        );
        failures.push(file);
      } else if (report(await runFile(file))) failures.push(file);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failures;
}

const e2e = `${path.sep}e2e${path.sep}`;
const runStarted = Date.now();
const failures = [
  ...(await runGroup(
    files.filter((f) => !f.includes(e2e)),
    2,
  )),
  ...(await runGroup(
    files.filter((f) => f.includes(e2e)),
    1,
  )),
];
const minutes = ((Date.now() - runStarted) / 60_000).toFixed(1);
if (failures.length > 0) {
  console.log(`\n${failures.length} of ${files.length} test files failed (${minutes} min):`);
  for (const file of failures) console.log(`  ${path.relative(path.dirname(root), file)}`);
  process.exit(1);
}
console.log(`\nall ${files.length} test files passed (${minutes} min)`);
