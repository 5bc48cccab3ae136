// JSON with every object's keys sorted, so two values that differ only in key order (jsonb does
// not keep it) compare equal as strings. Follows JSON.stringify otherwise: toJSON() is used and
// undefined properties are left out. undefined itself is written as null.

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}
