// Package e2e holds the tests that run the real snowflake-mcp binary (built
// once per test run by testbin) against the real emulator and real tools
// (pm2 from deploy/pm2/node_modules, logrotate from Debian). Its helpers are
// shared by every file; each file is named for the behaviour it covers.
//
// balancer_*_test.go run three replicas behind HAProxy and nginx from Debian,
// configured from the files shipped in deploy/haproxy and deploy/nginx with
// only addresses and log paths substituted; manifests_test.go decodes
// deploy/kubernetes strictly with the real Kubernetes API types;
// container_test.go builds deploy/container/Containerfile with podman.
package e2e
