// A trunk's allowedAddresses as LiveKit reads them: empty means every address, and a mask
// containing ()+*;, a space or :// is silently dropped (protocol sip.go isValidMask).

const INVALID_MASK = /[()+*;,\s]|:\/\//;
const EVERY_ADDRESS = new Set(['0.0.0.0/0', '::/0', '0.0.0.0/0.0.0.0']);

export function isValidAddressMask(mask: string): boolean {
  return mask.trim() !== '' && !INVALID_MASK.test(mask);
}

/** Whether the list lets any source address through. */
export function admitsEveryAddress(addresses: readonly string[] | undefined): boolean {
  const valid = (addresses ?? []).filter(isValidAddressMask);
  return valid.length === 0 || valid.some((mask) => EVERY_ADDRESS.has(mask.trim()));
}
