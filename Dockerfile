# syntax=docker/dockerfile:1
# Production image of hookline serve / hookline worker. Built with -tags nodev:
# the embedded Temporal server, Web UI and Postgres launcher of `hookline dev`
# are left out (30 MB instead of 220 MB). Static binary, distroless, non-root.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -tags nodev -trimpath -ldflags "-s -w" -o /out/hookline ./cmd/hookline

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hookline /usr/local/bin/hookline
USER nonroot:nonroot
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/hookline"]
CMD ["serve"]
