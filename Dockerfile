# Kavach service image. Builds better-sqlite3 from source (no prebuilt download is needed).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production KAVACH_HOST=0.0.0.0 KAVACH_PORT=8080 KAVACH_GRPC_PORT=8081 KAVACH_DATA_DIR=/data
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY gen ./gen
COPY src ./src
# The Kavach Console, served at / (the built bundle is committed; no build step here).
COPY clients/console/dist ./clients/console/dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080 8081
VOLUME ["/data"]
CMD ["node", "--import", "tsx", "src/main.ts"]
