/**
 * `host:port` of a Redis URL: the only part of TOOLBRIDGE_REDIS_URL that may be shown (in
 * errors, /readyz, doctor, the start-up summary); the URL itself may carry the password.
 * IPv6 hosts keep their brackets (the URL's hostname has them).
 */
export function redisTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port === '' ? '6379' : parsed.port}`;
}

/** The password in a Redis URL, in both spellings a line could carry it: for log scrubbers. */
export function redisUrlPasswords(url: string | undefined): string[] {
  const password = url === undefined ? '' : new URL(url).password;
  return password === '' ? [] : [password, decodeURIComponent(password)];
}
