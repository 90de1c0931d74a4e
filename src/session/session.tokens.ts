/** Injection tokens of the session core: the store and the timeouts, one instance each. */
export const SESSION_STORE = Symbol('SESSION_STORE');
export const SESSION_TIMEOUTS = Symbol('SESSION_TIMEOUTS');
