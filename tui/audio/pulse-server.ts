/** Whether a PulseAudio server (or PipeWire's pulse server) is there to play and record through. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Whether `command args` runs and succeeds within 2 s. */
export const answers = (command: string, args: string[], env: NodeJS.ProcessEnv): boolean => spawnSync(command, args, { env, stdio: 'ignore', timeout: 2000 }).status === 0;

/**
 * A server is there when PULSE_SERVER names one or its socket is in the runtime dir, and then it
 * must answer `pactl info`: pactl is not asked otherwise, since asking can start a server.
 */
export function pulseServerAnswers(env: NodeJS.ProcessEnv = process.env): boolean {
  const socket = env['XDG_RUNTIME_DIR'] ? path.join(env['XDG_RUNTIME_DIR'], 'pulse', 'native') : undefined;
  return Boolean(env['PULSE_SERVER'] || (socket && existsSync(socket))) && answers('pactl', ['info'], env);
}
