/**
 * A device's status as `att status` carries it (docs/protocol.md): one line read by people and by
 * programs alike. `playing FILE 1:23/3:35`, `paused FILE ...`, `radio FILE`, `in call with NAME`, `idle`.
 */

/** What a device is doing, as its status line says it. */
export type DeviceActivity =
  | { kind: 'idle' }
  | { kind: 'call'; peer: string }
  | { kind: 'radio'; file: string | undefined }
  | { kind: 'song'; playing: boolean; file: string; position: number; duration: number };

/** `1:05`, `12:00`, `1:02:03`. */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** @example formatStatus({ kind: 'song', playing: true, file: 'A/B/01 Song.mp3', position: 83, duration: 215 }) // 'playing A/B/01 Song.mp3 1:23/3:35' */
export function formatStatus(activity: DeviceActivity): string {
  switch (activity.kind) {
    case 'idle':
      return 'idle';
    case 'call':
      return `in call with ${activity.peer}`;
    case 'radio':
      return `radio ${activity.file ?? ''}`.trim();
    case 'song':
      return `${activity.playing ? 'playing' : 'paused'} ${activity.file} ${clock(activity.position)}/${clock(activity.duration)}`;
  }
}

/** Reads another device's status back: the file and the position it is at, if it plays one. */
export function parseStatus(status: string): { playing: boolean; file: string; position: number } | undefined {
  const m = /^(playing|paused) (.+) (\d+(?::\d\d){1,2})\/(\d+(?::\d\d){1,2})$/.exec(status);
  if (!m) return undefined;
  const seconds = (m[3] as string).split(':').reduce((total, part) => total * 60 + Number(part), 0);
  return { playing: m[1] === 'playing', file: m[2] as string, position: seconds };
}
