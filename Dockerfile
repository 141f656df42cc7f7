# liftd in a container: built from Debian 12 packages like everywhere else, then copied onto a slim
# runtime image. Configure it with LIFT_DATABASE_URL (see docker-compose.yml) and LIFT_LISTEN.
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN LIFT_BUILD_DIR=/src/build LIFT_CMAKE_ARGS="-DLIFT_BUILD_TESTS=OFF -DLIFT_BUILD_BENCHMARKS=OFF" \
    scripts/setup

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libpqxx-6.4 libspdlog1.10 libyaml-cpp0.7 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/server/liftd /src/build/clients/cpp/liftctl /usr/local/bin/
USER nobody
ENV LIFT_LISTEN=0.0.0.0:50051
EXPOSE 50051
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["liftctl", "--server", "127.0.0.1:50051", "health"]
ENTRYPOINT ["liftd"]
