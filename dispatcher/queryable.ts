// What the dispatcher's database writes need: a pg Pool, a PoolClient, or a test double.
export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}
