# tap-postgres as a container image: the packed npm tarball installed globally, run as a non-root
# user. Build from a checkout (the first stage packs it, so the image holds exactly what
# `npm pack` ships):
#   docker build -t tap-postgres .
#   docker run --rm -v "$PWD:/work" tap-postgres --config /work/config.json --discover
FROM node:20-bookworm-slim AS pack
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY src ./src
# npm ci installs the dev dependencies the build needs (their install scripts fetch nothing it
# needs: the embedded PostgreSQL is for tests only); npm pack runs the build (prepack).
RUN npm ci --ignore-scripts --no-audit --no-fund && npm pack --pack-destination /tmp

FROM node:20-bookworm-slim
COPY --from=pack /tmp/tap-postgres-*.tgz /tmp/
RUN npm install -g --no-audit --no-fund /tmp/tap-postgres-*.tgz && rm /tmp/tap-postgres-*.tgz \
  && npm cache clean --force
# The image's own unprivileged user (uid 1000); mount config, catalog and state into /work.
USER node
WORKDIR /work
ENTRYPOINT ["tap-postgres"]
CMD ["--help"]
