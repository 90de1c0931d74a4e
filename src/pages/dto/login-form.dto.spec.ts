import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { createValidationPipe } from '../../common/validation.js';
import { LoginFormDto } from './login-form.dto.js';

const pipe = createValidationPipe();
const parse = (body: Record<string, unknown>) => pipe.transform(body, { type: 'body', metatype: LoginFormDto });
const credentials = { email: 'Ada@Example.com', password: 'correct horse' };

describe('LoginFormDto', () => {
  it('reads a ticked checkbox (rememberMe=on) as true', async () => {
    await expect(parse({ ...credentials, rememberMe: 'on' })).resolves.toEqual({
      email: 'ada@example.com',
      password: 'correct horse',
      rememberMe: true,
    });
  });

  it('reads an unticked checkbox (field absent) as not remembered', async () => {
    const form = (await parse(credentials)) as LoginFormDto;
    expect(form.rememberMe ?? false).toBe(false);
  });

  it.each([['yes'], ['true'], [['on', 'on']]])('refuses rememberMe=%j with a 400', async (rememberMe) => {
    await expect(parse({ ...credentials, rememberMe })).rejects.toBeInstanceOf(BadRequestException);
  });
});
