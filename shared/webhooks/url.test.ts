import { describe, expect, it } from 'vitest';
import { checkWebhookUrl } from './url.ts';

const PRODUCTION = { allowHttp: false, allowPrivate: false };
const DEV = { allowHttp: true, allowPrivate: true };
const problem = (url: string, policy = PRODUCTION) => {
  const result = checkWebhookUrl(url, policy);
  return result.ok ? null : result.problem;
};

describe('checkWebhookUrl', () => {
  it('accepts a public https URL', () => {
    expect(problem('https://hooks.example.com/switchboard?team=1')).toBeNull();
    expect(problem('https://93.184.216.34:8443/in')).toBeNull();
  });

  it.each([
    ['ftp://hooks.example.com/x', 'url must start with https://'],
    ['javascript:alert(1)', 'url must start with https://'],
    ['http://hooks.example.com/x', 'url must start with https://'],
    ['hooks.example.com/x', 'is not a valid URL'],
    ['https://user:pw@hooks.example.com/', 'must not contain a user name or password'],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, 'the limit is 2048'],
  ])('refuses %s', (url, message) => {
    expect(problem(url)).toContain(message);
  });

  it.each([
    ['https://127.0.0.1/', 'loopback'],
    ['https://[::1]:8443/', 'loopback'],
    ['https://2130706433/', 'loopback'],
    ['https://0x7f.1/', 'loopback'],
    ['https://10.0.0.8/', 'private'],
    ['https://169.254.169.254/latest/meta-data', 'cloud metadata'],
    ['https://[::ffff:192.168.0.1]/', 'private'],
    ['https://localhost:3000/', 'local name'],
    ['https://api.localhost/', 'local name'],
    ['https://metadata.google.internal/', 'local name'],
    ['https://printer.local/', 'local name'],
    ['https://intranet/', 'local name'],
  ])('refuses the private destination %s', (url, message) => {
    expect(problem(url)).toContain(message);
  });

  it('accepts http and private destinations only when the policy allows them', () => {
    expect(problem('http://127.0.0.1:9999/hook', DEV)).toBeNull();
    expect(problem('http://127.0.0.1:9999/hook', { allowHttp: true, allowPrivate: false })).toContain('loopback');
    expect(problem('https://127.0.0.1:9999/hook', { allowHttp: false, allowPrivate: true })).toBeNull();
  });
});
