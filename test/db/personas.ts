// JWT claims as Supabase Auth issues them, for acting as a persona the way PostgREST does.
export type PersonaRole = 'anon' | 'authenticated' | 'service_role';

export interface Persona {
  role: PersonaRole;
  claims: Record<string, unknown>;
  /** auth.users id for signed-in personas. */
  userId?: string;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function userPersona(userId: string, email: string, appMetadata: Record<string, unknown> = {}): Persona {
  const iat = nowSeconds();
  return {
    role: 'authenticated',
    userId,
    claims: {
      sub: userId,
      role: 'authenticated',
      aud: 'authenticated',
      email,
      phone: '',
      app_metadata: { provider: 'email', ...appMetadata },
      user_metadata: {},
      is_anonymous: false,
      aal: 'aal1',
      session_id: crypto.randomUUID(),
      iat,
      exp: iat + 3600,
    },
  };
}

export const anonPersona = (): Persona => {
  const iat = nowSeconds();
  return { role: 'anon', claims: { iss: 'supabase', role: 'anon', iat, exp: iat + 3600 } };
};

export const serviceRolePersona = (): Persona => {
  const iat = nowSeconds();
  return { role: 'service_role', claims: { iss: 'supabase', role: 'service_role', iat, exp: iat + 3600 } };
};
