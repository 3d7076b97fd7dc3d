package config

import "time"

// Defaults returns the built-in layer: values that suit a local, read-only deployment.
func Defaults() Config {
	return Config{
		Environment: "development",
		Server: Server{
			Listen:            "127.0.0.1:8000",
			MCPPath:           "/mcp",
			Stateless:         true,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			// 0: no whole-response deadline, since a tool call may run for query.timeout and
			// streamed responses stay open; query.timeout bounds each statement instead.
			WriteTimeout:   0,
			IdleTimeout:    120 * time.Second,
			MaxBodyBytes:   4 << 20,
			DrainTimeout:   30 * time.Second,
			AllowedOrigins: []string{},
			TrustedProxies: []string{},
		},
		Snowflake: Snowflake{
			Authenticator:  "snowflake",
			Protocol:       "https",
			Port:           443,
			LoginTimeout:   30 * time.Second,
			ConnectTimeout: 5 * time.Second,
		},
		Pool: Pool{
			MaxOpen:         16,
			MaxIdle:         16,
			ConnMaxLifetime: time.Hour,
			ConnMaxIdleTime: 10 * time.Minute,
			Warm:            2,
		},
		Query: Query{
			ReadOnly:         true,
			Timeout:          120 * time.Second,
			DefaultLimit:     100,
			MaxRows:          1000,
			MaxResultBytes:   1 << 20,
			MaxCellChars:     4096,
			MetadataCacheTTL: 60 * time.Second,
		},
		Log: Log{
			Level:         "info",
			Format:        "json",
			Output:        "stderr",
			SlowThreshold: 2 * time.Second,
		},
		Reload: Reload{
			UpgradeTimeout: 60 * time.Second,
			Mode:           "upgrade",
			Supervisor:     "auto",
		},
		Auth: Auth{
			Tokens: []TokenEntry{},
			OAuth:  OAuth{Scopes: []string{}, ClockSkew: 30 * time.Second},
		},
		Limits: Limits{
			QueueTimeout: 10 * time.Second,
			MaxBatch:     1,
		},
	}
}
