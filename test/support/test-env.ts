/**
 * What every test app sets unless a spec says otherwise. The specs register far more accounts from
 * one address (127.0.0.1) than a person would, so the registration budget is raised, as a
 * deployment behind a shared address raises it (README, Configuration); the spec that tests the
 * budget sets its own.
 */
export const TEST_APP_ENV: Readonly<Record<string, string>> = { REGISTRATIONS_PER_ADDRESS: '100000' };
