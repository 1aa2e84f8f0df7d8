/** Whether a PulseAudio server (or PipeWire's pulse server) is there to play and record through. */
import { spawnSync } from 'node:child_process';
import { PulseClient } from './pulse/client.js';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Whether `command args` runs and succeeds within 2 s. */
export const answers = (command: string, args: string[], env: NodeJS.ProcessEnv): boolean =>
  spawnSync(command, args, { env, stdio: 'ignore', timeout: 2000 }).status === 0;

/** What `pactl info` said, per environment: the output and the microphone both ask at start-up. */
const answered = new WeakMap<NodeJS.ProcessEnv, boolean>();

/**
 * For the microphone, which records with parec: a server is there when PULSE_SERVER names one or
 * its socket is in the runtime dir, and then it must answer `pactl info`: pactl is not asked
 * otherwise, since asking can start a server. Asked once per environment object.
 */
export function pulseServerAnswers(env: NodeJS.ProcessEnv = process.env): boolean {
  const known = answered.get(env);
  if (known !== undefined) return known;
  const socket = env['XDG_RUNTIME_DIR'] ? path.join(env['XDG_RUNTIME_DIR'], 'pulse', 'native') : undefined;
  const serverAnswers =
    Boolean(env['PULSE_SERVER'] || (socket && existsSync(socket))) && answers('pactl', ['info'], env);
  answered.set(env, serverAnswers);
  return serverAnswers;
}

/** Whether a server takes a connection of this player's own (the output needs no PulseAudio tools). */
export async function pulseServerPlays(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  try {
    const client = await Promise.race([
      PulseClient.connect(env, 'streamtui'),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer')), 2000).unref()),
    ]);
    client.close();
    return true;
  } catch {
    return false;
  }
}
