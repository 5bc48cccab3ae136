// How LiveKit compares numbers. Trunk `numbers`/`allowedNumbers` are normalized (punctuation
// dropped, a leading + added); a dispatch rule's `inboundNumbers`/`numbers` are compared as
// exact strings, which is the trap: ["+1"] admits only a caller whose number is literally "+1".
import { E164_PATTERN } from '../phone.ts';

const PUNCTUATED_NUMBER = /^\+?[\d\- ()]+$/;

/** LiveKit's trunk-side normalization (protocol sip.go NormalizeNumber). */
export function normalizeTrunkNumber(raw: string): string {
  if (raw === '' || !PUNCTUATED_NUMBER.test(raw)) return raw;
  const digits = raw.replace(/[- ()]/g, '');
  return digits.startsWith('+') ? digits : `+${digits}`;
}

/** Whether a trunk number list admits `number` (empty list: any). */
export function trunkListAdmits(list: readonly string[] | undefined, number: string): boolean {
  if (!list || list.length === 0) return true;
  const wanted = normalizeTrunkNumber(number);
  return list.some((entry) => normalizeTrunkNumber(entry) === wanted);
}

/** Whether a dispatch rule list admits `number` by exact string (empty list: any). */
export function ruleListAdmits(list: readonly string[] | undefined, number: string): boolean {
  return !list || list.length === 0 || list.includes(number);
}

/** A complete E.164 number, as opposed to a prefix such as "+1". */
export function isCompleteNumber(value: string): boolean {
  return E164_PATTERN.test(value);
}

/** Shows what a caller sees of a number in a report: the last four digits. */
export function maskNumber(value: string): string {
  return value.length <= 4 ? value : `…${value.slice(-4)}`;
}
