// PLACEHOLDER so goreleaser's archive list resolves on the systemd branch alone. The real
// ecosystem file comes from the `daemon` branch: on merge, take that branch's version.
module.exports = { apps: [] };
