/**
 * What a listener can do to hear anything, said on the status line when no output opened: which
 * of the two ways to sound is missing here (README, "Sound", says it for each distribution).
 */
import { createRequire } from 'node:module';

/** Whether the optional `speaker` module was installed (its native part builds only with a compiler and ALSA's headers). */
function speakerInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('speaker');
    return true;
  } catch {
    return false;
  }
}

export function noSoundAdvice(): string {
  if (speakerInstalled()) return 'no usable sound device (ALSA): playing silently; --audio null hides this';
  return 'no sound: no PulseAudio or PipeWire server answers (start one, then restart the player); README: Sound';
}
