// The express-session options both peers of `npm run bench` use (docs/benchmarks.md):
// the defaults a tutorial shows, with Gatehouse's production cookie, so every target sends and
// reads the same cookie behind the same nginx. No imports: each peer brings its own packages.
export function sessionOptions(store) {
  return {
    name: '__Host-sid',
    secret: process.env.SESSION_SECRET,
    store,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, secure: true, sameSite: 'lax', path: '/' },
  };
}
