// Provider fakes `npm run test:deno` starts for the Deno function tests. Each runs in Node on
// 127.0.0.1 and hands its URL to the tests through env. To add one, push an entry here.
import { startElevenLabsFake } from '../../test/fakes/elevenlabs.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { FakeWorkerHealth } from '../../test/fakes/livekit_worker_health.ts';
import { startTcpProxyControl } from '../../test/fakes/tcp_proxy_control.ts';

/** A fake the Deno tests reach over HTTP; add yours here (env names it exports are yours to pick). */
export interface DenoTestFake {
  name: string;
  start(): Promise<{ env: Record<string, string>; close(): Promise<void> }>;
}

export const DENO_TEST_FAKES: DenoTestFake[] = [
  {
    name: 'elevenlabs',
    async start() {
      const fake = await startElevenLabsFake();
      return {
        env: { ELEVENLABS_FAKE_URL: fake.baseUrl, ELEVENLABS_FAKE_KEY: fake.apiKey },
        close: () => fake.close(),
      };
    },
  },
  {
    name: 'livekit',
    async start() {
      const fake = await FakeLiveKit.start();
      return {
        env: { LIVEKIT_FAKE_URL: fake.url, LIVEKIT_FAKE_API_KEY: fake.apiKey, LIVEKIT_FAKE_API_SECRET: fake.apiSecret },
        close: () => fake.close(),
      };
    },
  },
  {
    // Fault proxies (refuse, reset, stall, trickle) in front of Postgres or a fake, opened per test.
    name: 'tcp-fault-proxy',
    async start() {
      const control = await startTcpProxyControl();
      return { env: { FAULT_PROXY_URL: control.url }, close: () => control.close() };
    },
  },
  {
    name: 'livekit-worker-health',
    async start() {
      const fake = await FakeWorkerHealth.start();
      return { env: { WORKER_FAKE_URL: fake.url }, close: () => fake.close() };
    },
  },
];
