/** A real-time silent sink that keeps what it was given since the last flush: what playback wrote, to compare. */
import { NullSink } from '../../tui/audio/null-sink.js';

export class KeepingSink extends NullSink {
  kept: Buffer[] = [];
  override write(pcm: Buffer): Promise<void> {
    this.kept.push(Buffer.from(pcm));
    return super.write(pcm);
  }
  override flush(): void {
    this.kept = [];
    super.flush();
  }
  bytes(): number {
    return this.kept.reduce((sum, piece) => sum + piece.length, 0);
  }
}
