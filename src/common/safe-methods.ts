/**
 * The methods that change nothing (HTTP's "safe" methods). Every other one (POST, PUT, PATCH,
 * DELETE) is unsafe: it is refused from another site (SameOriginGuard), needs a form's CSRF token
 * (CsrfGuard), and is the only kind nginx rate-limits (route-policy.ts).
 */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}
