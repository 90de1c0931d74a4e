# Gatehouse app image, in three stages so that the final image holds only what runs:
#
#   build  every dependency (TypeScript, type packages) and `npm run build`  ->  dist/
#   deps   production dependencies only (`npm ci --omit=dev`); BuildKit builds it alongside `build`
#   final  node, the production node_modules, the compiled dist/src + dist/migrations and the
#          page templates (src/views), run as the unprivileged `node` user
#
# The one image serves two compose services: `app` (the default CMD) and `migrate` (the TypeORM
# CLI, which is a production dependency, on dist/src/database/data-source.js).
# No compiler toolchain anywhere, and no dependency runs code at install time (--ignore-scripts):
# @node-rs/argon2 loads a prebuilt binary from its per-platform package (an optional dependency).

FROM node:24-bookworm-slim AS build
WORKDIR /app
# Manifests first: the `npm ci` layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# A stage of its own rather than `npm prune` after the build: this layer depends on package*.json
# only, so a source change leaves the (large) node_modules layer of the final image untouched.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
# Production unless told otherwise: started without an environment, the app demands a real
# SESSION_SECRET and PUBLIC_ORIGIN instead of quietly running with development defaults.
ENV NODE_ENV=production
WORKDIR /app
# package.json is needed at run time: its "type": "module" makes node load dist/**/*.js as ESM.
# Everything is owned by root and only readable by `node`: the app cannot rewrite its own code.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/migrations ./dist/migrations
# Page templates and the stylesheet are not TypeScript, so tsc leaves them out of dist/; the app
# finds them at src/views next to package.json (src/common/views-dir.ts).
COPY src/views ./src/views
USER node
EXPOSE 3000
# Exec form: node itself receives SIGTERM from `docker stop` (no shell in between that would
# swallow it), and the app's shutdown hooks close the HTTP server, Redis and Postgres at once
# instead of waiting out Docker's 10-second kill timeout. (Compose adds `init: true` as well, so
# a tiny init is PID 1 and forwards the signal; see docker-compose.yml.)
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
