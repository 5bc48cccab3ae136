// The LLM's reply stream, bounded: the first chunk (retries included) must come within
// llmFirstTokenMs and each next one within llmStreamGapMs. An LLM that accepts the request and
// never answers, or stalls mid-reply, is cut off: the reply ends with what arrived, and the stall
// is reported so the call apologizes and hangs up (provider_failures.ts). The clock runs only
// while the pipeline asks for more, so a slow consumer is never blamed on the LLM.
import { ReadableStream } from 'node:stream/web';
import { type ProviderDeadlines, type ProviderStall, withinMs } from './provider_deadlines.ts';

export function withLlmDeadlines<T>(
  source: ReadableStream<T>,
  deadlines: Pick<ProviderDeadlines, 'llmFirstTokenMs' | 'llmStreamGapMs'>,
  onStall: (stall: ProviderStall) => void,
): ReadableStream<T> {
  const reader = source.getReader();
  let chunks = 0;
  return new ReadableStream<T>({
    async pull(controller) {
      const waitMs = chunks === 0 ? deadlines.llmFirstTokenMs : deadlines.llmStreamGapMs;
      const next = await withinMs(reader.read(), waitMs);
      if (next === 'timeout') {
        const what = chunks === 0 ? 'no first token' : `no chunk after ${chunks}`;
        onStall({ type: 'llm_error', message: `LLM stalled: ${what} within ${waitMs} ms` });
        void reader.cancel().catch(() => {});
        controller.close();
        return;
      }
      if (next.done) return controller.close();
      chunks += 1;
      controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
