// PM2 ecosystem file for the snowflake-mcp HTTP server.
//
//   pm2 start deploy/pm2/ecosystem.config.js --env production
//   pm2 sendSignal SIGHUP snowflake-mcp     # zero-downtime upgrade (new binary/config)
//   pm2 restart snowflake-mcp               # stop (drain) then start: NOT zero-downtime
//
// `daemon start --no-daemon` runs the keeper under PM2 (reload.supervisor auto detects
// pm_id): the keeper is the PID PM2 tracks, the serving generations hand off beneath it,
// and a crash of the serving process ends the keeper so PM2 restarts it.
// Environment variables of the shell that runs `pm2 start` (SNOWFLAKE_ACCOUNT,
// SNOWFLAKE_MCP_SERVER__LISTEN, ...) reach the server: PM2 passes its environment on,
// and the env blocks below only add keys.
const os = require('os');
const path = require('path');

const pm2Home = process.env.PM2_HOME || path.join(os.homedir(), '.pm2');
// Where the serving generation writes its PID (the keeper reads it); point
// `snowflake-mcp daemon status --pid-file` here.
const pidFile = process.env.SNOWFLAKE_MCP_PID_FILE || path.join(pm2Home, 'pids', 'snowflake-mcp-serving.pid');

// server.drain_delay + server.drain_timeout (30s by default) + the 5s hard grace, plus slack.
const drainMs = 30000 + 5000;

module.exports = {
  apps: [
    {
      name: 'snowflake-mcp',
      script: process.env.SNOWFLAKE_MCP_BIN || 'snowflake-mcp',
      args: ['daemon', 'start', '--no-daemon', '--pid-file', pidFile],
      interpreter: 'none',
      exec_mode: 'fork',
      instances: 1,
      // Only the keeper gets PM2's signals; it forwards them once. With tree-kill PM2
      // would signal the server too, and a second SIGINT ends a drain at once.
      treekill: false,
      kill_timeout: drainMs + 5000,
      autorestart: true,
      exp_backoff_restart_delay: 100,
      min_uptime: '10s',
      max_restarts: 10,
      max_memory_restart: '1G',
      time: true,
      out_file: path.join(pm2Home, 'logs', 'snowflake-mcp-out.log'),
      error_file: path.join(pm2Home, 'logs', 'snowflake-mcp-error.log'),
      merge_logs: true,
      env: {
        SNOWFLAKE_MCP_RELOAD__SUPERVISOR: 'keeper',
      },
      env_development: { SNOWFLAKE_MCP_ENV: 'development' },
      env_staging: { SNOWFLAKE_MCP_ENV: 'staging' },
      env_production: { SNOWFLAKE_MCP_ENV: 'production' },
    },
  ],
};
