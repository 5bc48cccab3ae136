// E.164 phone numbers. Agrees with the database's public.normalize_e164() for the forms people
// and SIP providers write: ten bare digits are a North American number.
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';

export const E164_PATTERN = /^\+[1-9][0-9]{6,14}$/;

/** The number in E.164, or null when it cannot be one. */
export function toE164(raw: string): string | null {
  const cleaned = raw
    .trim()
    .replace(/^(tel:|sip:)/i, '')
    .replace(/@.*$/, '');
  if (/[A-Za-z]/.test(cleaned)) return null;
  let candidate = cleaned;
  const digits = cleaned.replace(/\D/g, '');
  if (!cleaned.startsWith('+')) {
    if (digits.startsWith('00')) candidate = `+${digits.slice(2)}`;
    else if (digits.length === 10) candidate = `+1${digits}`;
    else if (digits.length === 11 && digits.startsWith('1')) candidate = `+${digits}`;
    else return null;
  }
  const parsed = parsePhoneNumberFromString(candidate);
  const e164 = parsed?.number ?? `+${candidate.replace(/\D/g, '')}`;
  return E164_PATTERN.test(e164) ? e164 : null;
}

export const e164Schema = z
  .string()
  .regex(E164_PATTERN, 'must be an E.164 phone number with country code, e.g. +15551234567');
