// Real, small audio for the ElevenLabs fake, in every output format it serves: valid MP3 frames
// (digital silence, decodable), PCM16LE sine, G.711 mu-law. No external tools (providers.md §5.1).

/** PCM16LE mono sine: what pcm_16000/pcm_22050 return. */
export function sinePcm16(rate: number, ms: number, hz = 440, amp = 0.25): Uint8Array {
  const n = Math.round((rate * ms) / 1000);
  const out = new Uint8Array(n * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++)
    view.setInt16(i * 2, Math.round(amp * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)), true);
  return out;
}

/** G.711 mu-law, Sun reference algorithm (byte-identical to audioop.lin2ulaw). */
export function linearToUlaw(pcm: number): number {
  const SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
  let v = pcm >> 2;
  let mask = 0xff;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  }
  if (v > 8159) v = 8159;
  v += 0x21;
  let seg = 0;
  while (seg < 8 && v > SEG_END[seg]!) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  return (((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask) & 0xff;
}

export function sineUlaw(ms: number): Uint8Array {
  const pcm = sinePcm16(8000, ms);
  const view = new DataView(pcm.buffer);
  const out = new Uint8Array(pcm.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = linearToUlaw(view.getInt16(i * 2, true));
  return out;
}

const MPEG1_RATES: Record<number, number> = { 44100: 0, 48000: 1, 32000: 2 };
const MPEG2_RATES: Record<number, number> = { 22050: 0, 24000: 1, 16000: 2 };
const MPEG1_L3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_L3_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/**
 * Silent MPEG Layer III, mono, no CRC: MPEG-1 at 32/44.1/48 kHz, MPEG-2 at 16/22.05/24 kHz.
 * All-zero side info and main data decode as digital silence.
 */
export function silentMp3(rate: number, kbps: number, ms: number): Uint8Array {
  const mpeg1 = rate in MPEG1_RATES;
  const rateIndex = mpeg1 ? MPEG1_RATES[rate] : MPEG2_RATES[rate];
  const bitrateIndex = (mpeg1 ? MPEG1_L3_KBPS : MPEG2_L3_KBPS).indexOf(kbps);
  if (rateIndex === undefined || bitrateIndex <= 0) throw new Error(`unsupported mp3 ${rate} Hz ${kbps} kbps`);
  const samplesPerFrame = mpeg1 ? 1152 : 576;
  const frameBytes = Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / rate);
  const frames = Math.max(1, Math.ceil((ms * rate) / 1000 / samplesPerFrame));
  const out = new Uint8Array(frameBytes * frames);
  const header = [0xff, mpeg1 ? 0xfb : 0xf3, (bitrateIndex << 4) | (rateIndex << 2), 0xc0];
  for (let f = 0; f < frames; f++) out.set(header, f * frameBytes);
  return out;
}

export interface FakeAudio {
  contentType: string;
  bytes: Uint8Array;
}

/** Audio for `output_format`, `ms` long; null for a format the fake does not speak. */
export function audioFor(format: string, ms: number): FakeAudio | null {
  const mp3 = /^mp3_(\d+)_(\d+)$/.exec(format);
  if (mp3) {
    try {
      return { contentType: 'audio/mpeg', bytes: silentMp3(Number(mp3[1]), Number(mp3[2]), ms) };
    } catch {
      return null;
    }
  }
  const pcm = /^pcm_(8000|16000|22050|24000|44100|48000)$/.exec(format);
  if (pcm) return { contentType: 'audio/pcm', bytes: sinePcm16(Number(pcm[1]), ms) };
  if (format === 'ulaw_8000') return { contentType: 'audio/basic', bytes: sineUlaw(ms) };
  return null;
}

/** True when `bytes` is a run of well-formed MPEG audio frames (the check tests use). */
export function isMp3(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  let offset = 0;
  let frames = 0;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff || (bytes[offset + 1]! & 0xe0) !== 0xe0) return false;
    const mpeg1 = (bytes[offset + 1]! & 0x18) === 0x18;
    const bitrateIndex = bytes[offset + 2]! >> 4;
    const rateIndex = (bytes[offset + 2]! >> 2) & 0x3;
    const padding = (bytes[offset + 2]! >> 1) & 0x1;
    const rate = mpeg1 ? [44100, 48000, 32000][rateIndex] : [22050, 24000, 16000][rateIndex];
    const kbps = (mpeg1 ? MPEG1_L3_KBPS : MPEG2_L3_KBPS)[bitrateIndex];
    if (!rate || !kbps) return false;
    offset += Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / rate) + padding;
    frames++;
  }
  return frames > 0 && offset === bytes.length;
}
