// `npm run functions:token -- [--email you@example.com] [--admin]`: a signed-in user's access
// token for calling the local functions (npm run dev) with curl or a frontend. Creates the user
// in the dev database if needed and signs with the dev JWT secret, as Supabase's local Auth would.
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { operatorConnection } from '../db/operator_connection.ts';
import { devDatabaseUrl, devFunctionsUrl } from '../../shared/dev_stack.ts';
import { EXIT_CODE } from '../exit_code.ts';
import { DEV_JWT_SECRET } from './dev_service.ts';

const USAGE = 'usage: npm run functions:token -- [--email you@example.com] [--admin] [--hours 1]';

async function main(argv: string[]): Promise<number> {
  let email: string;
  let admin: boolean;
  let hours: number;
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        email: { type: 'string', default: 'dev@example.test' },
        admin: { type: 'boolean', default: false },
        hours: { type: 'string', default: '1' },
      },
    });
    ({ email, admin } = values);
    hours = Number(values.hours);
    if (!(hours > 0))
      throw new Error(`--hours must be a positive number of hours, not ${JSON.stringify(values.hours)}.`);
  } catch (error) {
    console.error(
      `functions:token: ${(error instanceof Error ? error.message : String(error)).replace(/\.$/, '')}. ${USAGE}`,
    );
    return EXIT_CODE.usage;
  }
  let databaseUrl: string;
  let issuer: string;
  try {
    databaseUrl = process.env.DATABASE_URL ?? devDatabaseUrl(process.env);
    // The functions accept user tokens only from <SUPABASE_URL>/auth/v1, as Supabase Auth signs them.
    issuer = `${(process.env.SUPABASE_URL ?? devFunctionsUrl(process.env)).replace(/\/$/, '')}/auth/v1`;
  } catch (error) {
    console.error(
      `functions:token: ${(error as Error).message}. Set it to the port npm run dev uses, or set DATABASE_URL.`,
    );
    return EXIT_CODE.config;
  }
  const sql = operatorConnection(databaseUrl);
  try {
    const appMetadata = { provider: 'email', ...(admin ? { role: 'admin' } : {}) };
    const [existing] = await sql<
      { id: string }[]
    >`select id from auth.users where email = ${email} order by created_at limit 1`;
    const [user] = existing
      ? [existing]
      : await sql<{ id: string }[]>`
          insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
          values (gen_random_uuid(), ${email}, 'authenticated', 'authenticated', ${sql.json(appMetadata)}, '{}', now(), now())
          returning id`;
    await sql`update auth.users set raw_app_meta_data = ${sql.json(appMetadata)} where id = ${user!.id}`;
    const now = Math.floor(Date.now() / 1000);
    const secret = process.env.JWT_SECRET ?? DEV_JWT_SECRET;
    const token = await new SignJWT({
      role: 'authenticated',
      aud: 'authenticated',
      email,
      app_metadata: appMetadata,
      user_metadata: {},
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user!.id)
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + Math.round(hours * 3600))
      .sign(new TextEncoder().encode(secret));
    console.log(token);
    return EXIT_CODE.ok;
  } catch (error) {
    console.error(
      `functions:token: could not reach the dev database (${error instanceof Error ? error.message : String(error)}). Start it with npm run dev, or set DATABASE_URL.`,
    );
    return EXIT_CODE.unreachable;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
