// `npm run functions:token -- [--email you@example.com] [--admin]`: a signed-in user's access
// token for calling the local functions (npm run dev) with curl or a frontend. Creates the user
// in the dev database if needed and signs with the dev JWT secret, as Supabase's local Auth would.
import { SignJWT } from 'jose';
import { operatorConnection } from '../db/operator_connection.ts';
import { devDatabaseUrl, devFunctionsUrl } from '../../shared/dev_stack.ts';
import { DEV_JWT_SECRET } from './dev_service.ts';

const USAGE = 'usage: npm run functions:token -- [--email you@example.com] [--admin] [--hours 1]';

async function main(argv: string[]): Promise<number> {
  let email = 'dev@example.test';
  let admin = false;
  let hours = 1;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--email' && argv[i + 1]) email = argv[++i]!;
    else if (arg === '--admin') admin = true;
    else if (arg === '--hours' && Number(argv[i + 1]) > 0) hours = Number(argv[++i]);
    else {
      console.error(`functions:token: unknown argument ${arg}. ${USAGE}`);
      return 2;
    }
  }
  let databaseUrl: string;
  let issuer: string;
  try {
    databaseUrl = process.env.DATABASE_URL ?? devDatabaseUrl(process.env);
    // The functions accept user tokens only from <SUPABASE_URL>/auth/v1, as Supabase Auth signs them.
    issuer = `${(process.env.SUPABASE_URL ?? devFunctionsUrl(process.env)).replace(/\/$/, '')}/auth/v1`;
  } catch (error) {
    console.error(`functions:token: ${(error as Error).message}. Set it to the port npm run dev uses, or set DATABASE_URL.`);
    return 3;
  }
  const sql = operatorConnection(databaseUrl);
  try {
    const appMetadata = { provider: 'email', ...(admin ? { role: 'admin' } : {}) };
    const [existing] = await sql<{ id: string }[]>`select id from auth.users where email = ${email} order by created_at limit 1`;
    const [user] = existing
      ? [existing]
      : await sql<{ id: string }[]>`
          insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
          values (gen_random_uuid(), ${email}, 'authenticated', 'authenticated', ${sql.json(appMetadata)}, '{}', now(), now())
          returning id`;
    await sql`update auth.users set raw_app_meta_data = ${sql.json(appMetadata)} where id = ${user!.id}`;
    const now = Math.floor(Date.now() / 1000);
    const secret = process.env.JWT_SECRET ?? DEV_JWT_SECRET;
    const token = await new SignJWT({ role: 'authenticated', aud: 'authenticated', email, app_metadata: appMetadata, user_metadata: {} })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user!.id)
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + Math.round(hours * 3600))
      .sign(new TextEncoder().encode(secret));
    console.log(token);
    return 0;
  } catch (error) {
    console.error(`functions:token: could not reach the dev database (${error instanceof Error ? error.message : String(error)}). Start it with npm run dev, or set DATABASE_URL.`);
    return 4;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
