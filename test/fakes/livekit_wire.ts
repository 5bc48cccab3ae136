// Twirp JSON on the wire, as LiveKit's server writes it: snake_case keys with every field present.
// The SDK sends camelCase (protobuf-es toJson) and decodes either. Map fields keep their keys.

const MAP_FIELDS = new Set([
  'headers',
  'headersToAttributes',
  'attributesToHeaders',
  'attributes',
  'headers_to_attributes',
  'attributes_to_headers',
]);

const toSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function convertKeys(value: unknown, convert: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => convertKeys(v, convert));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[convert(key)] = MAP_FIELDS.has(key) ? v : convertKeys(v, convert);
  }
  return out;
}

export const camelKeys = (value: unknown) => convertKeys(value, toCamel) as Record<string, unknown>;
export const snakeKeys = (value: unknown) => convertKeys(value, toSnake);

const TRUNK_DEFAULTS = {
  sipTrunkId: '',
  name: '',
  metadata: '',
  numbers: [],
  allowedAddresses: [],
  allowedNumbers: [],
  authUsername: '',
  authPassword: '',
  headers: {},
  headersToAttributes: {},
  attributesToHeaders: {},
  includeHeaders: 'SIP_NO_HEADERS',
  ringingTimeout: null,
  maxCallDuration: null,
  krispEnabled: false,
  mediaEncryption: 'SIP_MEDIA_ENCRYPT_DISABLE',
};
const RULE_DEFAULTS = {
  sipDispatchRuleId: '',
  rule: null,
  trunkIds: [],
  hidePhoneNumber: false,
  inboundNumbers: [],
  numbers: [],
  name: '',
  metadata: '',
  attributes: {},
  roomPreset: '',
  roomConfig: null,
  krispEnabled: false,
  mediaEncryption: 'SIP_MEDIA_ENCRYPT_DISABLE',
};

export const trunkToWire = (t: Record<string, unknown>) => snakeKeys({ ...TRUNK_DEFAULTS, ...t });
export const ruleToWire = (r: Record<string, unknown>) => snakeKeys({ ...RULE_DEFAULTS, ...r });
