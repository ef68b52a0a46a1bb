// The signed-in session. The refresh token lives in an HttpOnly cookie the server sets
// (JavaScript never sees it); the short-lived access token lives here, in memory only,
// and is renewed before it expires and after a reload through POST /auth/refresh.

const HEADERS = { 'content-type': 'application/json', 'x-tsunagi-console': '1' };

let token: string | null = null;
let timer: number | undefined;
const listeners = new Set<() => void>();

export function accessToken(): string | null {
  return token;
}

export function onSessionChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

function set(t: string | null, expiresIn = 0) {
  token = t;
  window.clearTimeout(timer);
  if (t && expiresIn > 0) {
    // Renew at 80 % of the token's life.
    timer = window.setTimeout(() => void refresh(), expiresIn * 800);
  }
  listeners.forEach((f) => f());
}

export class SignInError extends Error {}

export async function signIn(tenant: string, email: string, password: string): Promise<void> {
  const res = await fetch('/auth/session', {
    method: 'POST',
    headers: HEADERS,
    credentials: 'same-origin',
    body: JSON.stringify({ tenant, email, password }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new SignInError(body.code ?? 'UNAUTHENTICATED');
  }
  set(body.accessToken, body.expiresIn);
}

/** A new access token from the refresh cookie; false when there is no session. */
export async function refresh(): Promise<boolean> {
  const res = await fetch('/auth/refresh', { method: 'POST', headers: HEADERS, credentials: 'same-origin' });
  if (!res.ok) {
    set(null);
    return false;
  }
  const body = await res.json();
  set(body.accessToken, body.expiresIn);
  return true;
}

export async function signOut(): Promise<void> {
  const headers: Record<string, string> = { ...HEADERS };
  if (token) headers.authorization = `Bearer ${token}`;
  await fetch('/auth/logout', { method: 'POST', headers, credentials: 'same-origin' }).catch(() => undefined);
  set(null);
}
