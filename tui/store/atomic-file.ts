/**
 * A file written whole or not at all: into a temporary file beside it, then renamed over it, so a
 * reader (or a player killed mid-write) sees the old contents or the new, never half. Owner-only:
 * what the player keeps may hold a password or what a person listens to.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** @throws what the file system says (the caller tells the user). */
export function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true }); // a full disk leaves no half-written file behind
    throw error;
  }
}
