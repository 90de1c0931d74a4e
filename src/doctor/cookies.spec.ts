import { describe, expect, it } from '@jest/globals';
import { defaultPath, domainMatches, parseSetCookie, pathMatches, rejection, sentTo } from './cookies.js';

const setBy = new URL('https://app.example.com/api/auth/register');

describe('parseSetCookie', () => {
  it('reads the name, value and attributes, case-insensitively', () => {
    expect(parseSetCookie('__Host-sid=s%3Aabc.def; Path=/; HTTPONLY; secure; SameSite=Lax')).toEqual({
      name: '__Host-sid',
      value: 's%3Aabc.def',
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'lax',
    });
    expect(parseSetCookie('sid=x; Domain=.Example.COM; Path=api')).toEqual({
      name: 'sid',
      value: 'x',
      domain: 'example.com',
      path: undefined,
      secure: false,
      httpOnly: false,
    });
    expect(parseSetCookie('=nameless')).toBeUndefined();
  });
});

describe('matching', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['app.example.com', 'example.com', true],
    ['badexample.com', 'example.com', false],
    ['example.com', 'app.example.com', false],
    ['127.0.0.1', '0.0.1', false],
  ])('host %s in domain %s: %s', (host, domain, expected) => {
    expect(domainMatches(host, domain)).toBe(expected);
  });

  it.each([
    ['/', '/', true],
    ['/api/profile', '/api', true],
    ['/api/profile', '/api/', true],
    ['/apiary', '/api', false],
    ['/profile', '/api', false],
    ['/', '/app', false],
  ])('path %s in cookie path %s: %s', (path, cookiePath, expected) => {
    expect(pathMatches(path, cookiePath)).toBe(expected);
  });

  it('gives a cookie without Path the directory of the request path', () => {
    expect(defaultPath('/api/auth/register')).toBe('/api/auth');
    expect(defaultPath('/login')).toBe('/');
  });
});

describe('what a browser does with the cookie', () => {
  it.each([
    ['__Host-sid=x; Path=/; Secure; HttpOnly', undefined],
    ['__Host-sid=x; Path=/; HttpOnly', 'a __Host- cookie without Secure'],
    ['__Host-sid=x; Path=/; Secure; Domain=example.com', 'a __Host- cookie with a Domain'],
    ['__Host-sid=x; Path=/api; Secure', 'a __Host- cookie whose Path is not /'],
    ['__Secure-sid=x; Path=/', 'a __Secure- cookie without Secure'],
    ['sid=x; SameSite=None', 'SameSite=None without Secure'],
    ['sid=x; Domain=other.example', 'its Domain=other.example does not match app.example.com'],
    ['sid=x; Domain=example.com', undefined],
  ])('%s: refused because %s', (line, why) => {
    expect(rejection(parseSetCookie(line)!, setBy)).toBe(why);
  });

  it.each([
    ['sid=x; Path=/', 'https://app.example.com/profile', true],
    ['sid=x; Path=/', 'https://www.example.com/profile', false],
    ['sid=x; Path=/; Domain=example.com', 'https://www.example.com/profile', true],
    ['sid=x; Path=/api', 'https://app.example.com/profile', false],
    ['sid=x', 'https://app.example.com/api/auth/login', true],
    ['sid=x', 'https://app.example.com/api/profile', false],
    ['sid=x; Path=/; Secure', 'http://app.example.com/profile', false],
  ])('%s is sent to %s: %s', (line, url, expected) => {
    expect(sentTo(parseSetCookie(line)!, setBy, new URL(url))).toBe(expected);
  });
});
