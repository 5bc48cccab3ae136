// One upstream synthesis shared by every concurrent identical request ("single flight"). The
// leader pushes chunks as ElevenLabs sends them; each reader gets the chunks so far, then
// follows live, so the first byte never waits for the whole file. A failure before the first
// byte rejects `ready` (the caller answers with a JSON error); a later one errors the streams.
// It settles once: after finish() or fail(), further chunks and failures are ignored.
export class AudioFlight {
  readonly ready: Promise<{ contentType: string }>;
  /** performance.now() when the audio finished or failed; null while running. */
  settledAt: number | null = null;
  private resolveReady!: (value: { contentType: string }) => void;
  private rejectReady!: (error: unknown) => void;
  private readonly chunks: Uint8Array[] = [];
  private byteLength = 0;
  private finished = false;
  private failure: unknown = null;
  private wakers: (() => void)[] = [];

  constructor() {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {}); // observed by readers; never an unhandled rejection
  }

  start(contentType: string): void {
    this.resolveReady({ contentType });
  }

  push(chunk: Uint8Array): void {
    if (this.settledAt !== null) return;
    this.chunks.push(chunk);
    this.byteLength += chunk.byteLength;
    this.wake();
  }

  finish(): void {
    if (this.settledAt !== null) return;
    this.finished = true;
    this.settledAt = performance.now();
    this.wake();
  }

  /** Settles every waiter with `error`; a no-op once finished or failed. */
  fail(error: unknown): void {
    if (this.settledAt !== null) return;
    this.failure = error;
    this.settledAt = performance.now();
    this.rejectReady(error);
    this.wake();
  }

  get succeeded(): boolean {
    return this.finished && this.failure === null;
  }

  /** The whole file, once finished. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  /** A reader from the first byte; cancelling it never stops the flight (the cache still fills). */
  stream(): ReadableStream<Uint8Array> {
    let index = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        for (;;) {
          if (index < this.chunks.length) {
            controller.enqueue(this.chunks[index++]!);
            return;
          }
          if (this.failure !== null) {
            controller.error(this.failure);
            return;
          }
          if (this.finished) {
            controller.close();
            return;
          }
          await new Promise<void>((resolve) => this.wakers.push(resolve));
        }
      },
    });
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}
