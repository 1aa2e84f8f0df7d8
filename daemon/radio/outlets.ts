/**
 * Where the programme goes besides the UDP listeners: Icecast sources (daemon/icecast/). The radio
 * runs while one of them is connected, even with no listener, and gives them each round's frames
 * and each song's title.
 */
export interface RadioOutlet {
  /** Whether it takes frames now. */
  readonly connected: boolean;
  /** Whole MP3 frames (`count` of them), as they are due. */
  write(frames: Buffer, count: number): void;
  /** The song now playing (`Artist - Title`), at each change. */
  setTitle(title: string): void;
}

export class RadioOutlets {
  private readonly all: RadioOutlet[] = [];

  add(outlet: RadioOutlet): void {
    this.all.push(outlet);
  }

  get wanted(): boolean {
    return this.all.some((outlet) => outlet.connected);
  }

  /** One round's frames, to those connected. */
  write(frames: Buffer[]): void {
    if (frames.length === 0 || !this.wanted) return;
    const bytes = Buffer.concat(frames);
    for (const outlet of this.all) if (outlet.connected) outlet.write(bytes, frames.length);
  }

  setTitle(song: { artist?: string | undefined; title?: string | undefined; file: string }): void {
    const title = [song.artist, song.title ?? song.file].filter(Boolean).join(' - ');
    for (const outlet of this.all) outlet.setTitle(title);
  }
}
