# syntax=docker/dockerfile:1
# Image API: a multi-stage build. The first stage installs everything and compiles TypeScript; the
# runtime stage keeps only the production dependencies and dist/.
#
#   docker build -t image-api .
#   docker run -p 3000:3000 -v image-api-data:/app/data image-api        # embedded SQLite + demo data
#   docker run -p 3000:3000 -e DATABASE_URL=mysql://user:pass@db:3306/image_api image-api

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles its native addon when no prebuilt binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The npm workspace of @image-api/client: `npm ci` links it and builds it (the root's `prepare`).
COPY packages/client/package.json packages/client/tsconfig*.json ./packages/client/
COPY packages/client/src ./packages/client/src
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/packages/client/package.json ./packages/client/package.json
COPY --from=build --chown=node:node /app/packages/client/dist ./packages/client/dist
COPY --from=build --chown=node:node /app/dist ./dist
# The embedded database and a generated JWT secret live here: mount a volume to keep them.
# /app/images: where a fleet mounts the one folder of uploaded files its instances share
# (docker-compose.yml); a new volume takes this folder's owner.
RUN mkdir -p /app/data /app/images && chown node:node /app/data /app/images
VOLUME ["/app/data"]
USER node
EXPOSE 3000
# No curl in the slim image: ask Node. /health/ready checks the database too.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:(process.env.PORT||'').trim()||3000,path:'/health/ready'},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# Node itself is PID 1 and handles SIGTERM: in-flight requests finish, the pool closes, exit 0.
# As `npm start`: a heap limit keeps V8 collecting early (peak RSS ~145-160 MB under load;
# docs/PERFORMANCE.md).
CMD ["node", "--max-old-space-size=256", "dist/main.js"]
