package emulator

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// session is one Snowflake session: tokens plus its own DuckDB connection,
// so USE and temp objects stay private to it.
type session struct {
	id      int64
	user    *UserSpec
	account string

	run   sync.Mutex // serialises statements on conn
	conn  *sql.Conn
	pager *pager // the last result read ahead in pages; guarded by run

	mu          sync.Mutex
	token       string
	master      string
	tokenIssued time.Time
	database    string
	schema      string
	warehouse   string
	role        string
	closed      bool
	params      map[string]string // session parameters set at login or by ALTER SESSION (upper-case keys)
	clientApp   string            // CLIENT_APP_ID at login ("Go" for gosnowflake): picks the default result format
	lastUsed    time.Time
	expired     bool // token expired by fault injection
}

// queryTag returns the QUERY_TAG for a request: its own parameter, else the session's.
func (ss *session) queryTag(reqParams map[string]any) string {
	if v, ok := reqParams["QUERY_TAG"]; ok {
		return fmt.Sprint(v)
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.params["QUERY_TAG"]
}

// timeoutFor returns STATEMENT_TIMEOUT_IN_SECONDS for a request (0: none).
func (ss *session) timeoutFor(reqParams map[string]any) int64 {
	if n := paramInt(reqParams, "STATEMENT_TIMEOUT_IN_SECONDS", -1); n >= 0 {
		return n
	}
	ss.mu.Lock()
	v := ss.params["STATEMENT_TIMEOUT_IN_SECONDS"]
	ss.mu.Unlock()
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

// alterSession handles ALTER SESSION SET k = v [...] and UNSET k [, ...].
func (ss *session) alterSession(ctx context.Context, toks []token) (*result, error) {
	ss.mu.Lock()
	saved := make(map[string]string, len(ss.params))
	for k, v := range ss.params {
		saved[k] = v
	}
	ss.mu.Unlock()
	res, err := ss.setParams(toks)
	if err == nil {
		err = ss.applyTimezone(ctx)
	}
	if err != nil { // leave the session as it was
		ss.mu.Lock()
		ss.params = saved
		ss.mu.Unlock()
		return nil, err
	}
	return res, nil
}

func (ss *session) setParams(toks []token) (*result, error) {
	if len(toks) == 0 || (!isKW(toks[0], "SET") && !isKW(toks[0], "UNSET")) {
		return nil, &sfError{"001003", "42000", "SQL compilation error:\nsyntax error: ALTER SESSION needs SET or UNSET"}
	}
	set := isKW(toks[0], "SET")
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.params == nil {
		ss.params = map[string]string{}
	}
	for i := 1; i < len(toks); i++ {
		t := toks[i]
		if t.kind != tokWord {
			continue
		}
		key := strings.ToUpper(t.text)
		if !set {
			delete(ss.params, key)
			continue
		}
		if i+2 >= len(toks) || toks[i+1].text != "=" {
			return nil, &sfError{"001003", "42000", "SQL compilation error:\nsyntax error: expected " + key + " = value"}
		}
		v := toks[i+2]
		val := v.text
		if v.kind == tokString {
			val = unquoteString(val)
		}
		ss.params[key] = val
		i += 2
	}
	return statusResult(stmtSCL, "Statement executed successfully."), nil
}

func (ss *session) touch() {
	ss.mu.Lock()
	ss.lastUsed = time.Now()
	ss.mu.Unlock()
}

func (ss *session) idleFor() time.Duration {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return time.Since(ss.lastUsed)
}

func (ss *session) currentToken() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.token
}

// renew issues a new session token (the caller holds Server.mu and re-indexes it).
func (ss *session) renew() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.token = newID(24)
	ss.tokenIssued = time.Now()
	ss.expired = false
}

func (ss *session) tokenExpired(tok string, ttl time.Duration) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if tok == ss.token && ss.expired {
		return true
	}
	if ttl <= 0 {
		return false
	}
	return tok == ss.token && time.Since(ss.tokenIssued) > ttl
}

// expireToken expires the current session token at once (fault injection).
func (ss *session) expireToken() {
	ss.mu.Lock()
	ss.expired = true
	ss.mu.Unlock()
}

type sessionState struct{ database, schema, warehouse, role, timezone string }

func (ss *session) state() sessionState {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return sessionState{ss.database, ss.schema, ss.warehouse, ss.role, ss.params["TIMEZONE"]}
}

// close discards the DuckDB connection instead of returning it to the pool.
func (ss *session) close() {
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return
	}
	ss.closed = true
	ss.mu.Unlock()
	ss.run.Lock()
	defer ss.run.Unlock()
	_ = ss.conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = ss.conn.Close()
}

// refreshNamespace reads the current catalog and schema back from DuckDB.
func (ss *session) refreshNamespace(ctx context.Context) {
	var db, sc sql.NullString
	if err := ss.conn.QueryRowContext(ctx, "SELECT current_database(), current_schema()").Scan(&db, &sc); err != nil {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.database, ss.schema = db.String, sc.String
	if ss.database == defaultCatalog {
		ss.database, ss.schema = "", ""
	}
}

// installMacros (re)defines the session-scoped CURRENT_* functions DuckDB lacks.
func (ss *session) installMacros(ctx context.Context) error {
	st := ss.state()
	defs := []struct{ name, val string }{
		{"CURRENT_ROLE", st.role}, {"CURRENT_WAREHOUSE", st.warehouse},
		{"CURRENT_ACCOUNT", strings.ToUpper(ss.account)}, {"CURRENT_USER", strings.ToUpper(ss.user.User)},
		{"CURRENT_VERSION", emulatedVersion}, {"CURRENT_SESSION", fmt.Sprint(ss.id)},
		{"CURRENT_REGION", "EMULATOR"}, {"CURRENT_ACCOUNT_NAME", strings.ToUpper(ss.account)},
		{"CURRENT_ORGANIZATION_NAME", "EMULATOR"}, {"CURRENT_CLIENT", "Go"},
	}
	var b strings.Builder
	for _, d := range defs {
		fmt.Fprintf(&b, "CREATE OR REPLACE TEMP MACRO %s() AS %s;\n", d.name, quoteString(d.val))
	}
	b.WriteString(compatMacros)
	if _, err := ss.conn.ExecContext(ctx, b.String()); err != nil {
		return fmt.Errorf("install session macros: %w", err)
	}
	return nil
}

const (
	emulatedVersion = "9.0.0"
	defaultCatalog  = "memory"
)

type loginRequest struct {
	Data struct {
		AccountName       string         `json:"ACCOUNT_NAME"`
		LoginName         string         `json:"LOGIN_NAME"`
		Password          string         `json:"PASSWORD"`
		Authenticator     string         `json:"AUTHENTICATOR"`
		Token             string         `json:"TOKEN"`
		SessionParameters map[string]any `json:"SESSION_PARAMETERS"`
		ClientAppID       string         `json:"CLIENT_APP_ID"`
	} `json:"data"`
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if d := s.faults.loginDelay(); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	var req loginRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeFail(w, "390100", "Incorrect username or password was specified.", nil)
		return
	}
	d := req.Data
	u, code, msg := s.authenticate(d.AccountName, d.LoginName, d.Authenticator, d.Password, d.Token)
	if u == nil {
		s.log.Info("login rejected", "account", d.AccountName, "user", d.LoginName, "authenticator", d.Authenticator, "code", code)
		writeFail(w, code, msg, nil)
		return
	}
	ctx := r.Context()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		writeFail(w, "390100", "emulator: cannot open a session connection", nil)
		return
	}
	ss := &session{
		id: s.nextSess.Add(1), user: u, account: d.AccountName, conn: conn,
		master: newID(24), warehouse: strings.ToUpper(u.Warehouse), role: strings.ToUpper(u.Role),
		params: map[string]string{}, lastUsed: time.Now(), clientApp: d.ClientAppID,
	}
	for k, v := range d.SessionParameters {
		ss.params[strings.ToUpper(k)] = fmt.Sprint(v)
	}
	ss.renew()
	q := r.URL.Query()
	if v := q.Get("warehouse"); v != "" {
		ss.warehouse = strings.ToUpper(v)
	}
	if v := q.Get("roleName"); v != "" {
		ss.role = strings.ToUpper(v)
	}
	dbName, schemaName := q.Get("databaseName"), q.Get("schemaName")
	if dbName == "" {
		dbName, schemaName = u.Database, u.Schema
	}
	ss.useNamespace(ctx, dbName, schemaName)
	ss.refreshNamespace(ctx)
	err = ss.installMacros(ctx)
	if err == nil {
		err = ss.applyTimezone(ctx)
	}
	if err != nil {
		ss.close()
		writeFail(w, "390100", "emulator: "+err.Error(), nil)
		return
	}
	s.mu.Lock()
	s.sessions[ss.token] = ss
	s.masters[ss.master] = ss
	s.mu.Unlock()
	st := ss.state()
	s.log.Info("login", "session", ss.id, "account", d.AccountName, "user", u.User, "authenticator", authName(d.Authenticator))
	writeOK(w, map[string]any{
		"token": ss.currentToken(), "validityInSeconds": 3600,
		"masterToken": ss.master, "masterValidityInSeconds": 14400,
		"displayUserName": strings.ToUpper(u.User), "serverVersion": emulatedVersion,
		"firstLogin": false, "healthCheckInterval": 45, "sessionId": ss.id,
		"parameters": sessionParameters(ss.timezone()),
		"sessionInfo": map[string]any{
			"databaseName": nullable(st.database), "schemaName": nullable(st.schema),
			"warehouseName": st.warehouse, "roleName": st.role,
		},
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func authName(a string) string {
	if a == "" {
		return "SNOWFLAKE"
	}
	return strings.ToUpper(a)
}

// sessionParameters are the parameters returned on login and with each query.
func sessionParameters(tz string) []map[string]any {
	if tz == "" {
		tz = "UTC"
	}
	return []map[string]any{
		{"name": "CLIENT_PREFETCH_THREADS", "value": 4},
		{"name": "CLIENT_STAGE_ARRAY_BINDING_THRESHOLD", "value": 65280},
		{"name": "TIMEZONE", "value": tz},
		{"name": "CLIENT_SESSION_KEEP_ALIVE", "value": false},
		{"name": "CLIENT_RESULT_CHUNK_SIZE", "value": 160},
		{"name": "QUERY_RESULT_FORMAT", "value": "JSON"},
	}
}

func (ss *session) timezone() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.params["TIMEZONE"]
}

// applyTimezone makes DuckDB render TIMESTAMPTZ values in the session's zone.
func (ss *session) applyTimezone(ctx context.Context) error {
	tz := ss.timezone()
	if tz == "" {
		tz = "UTC"
	}
	if _, err := ss.conn.ExecContext(ctx, "SET SESSION TimeZone = "+quoteString(tz)); err != nil {
		return &sfError{"002003", "22023", "Invalid value [" + tz + "] for parameter 'TIMEZONE'"}
	}
	return nil
}

// useNamespace switches the session's DuckDB connection to db[.schema]; an
// unknown database leaves the session without one, as Snowflake does.
func (ss *session) useNamespace(ctx context.Context, db, schema string) {
	if db == "" {
		return
	}
	target := quoteIdent(identName(db))
	if schema != "" {
		target += "." + quoteIdent(identName(schema))
	} else if ss.schemaExists(ctx, identName(db), "PUBLIC") {
		target += `."PUBLIC"`
	}
	_, _ = ss.conn.ExecContext(ctx, "USE "+target)
}

func (ss *session) schemaExists(ctx context.Context, db, schema string) bool {
	var n int
	err := ss.conn.QueryRowContext(ctx,
		"SELECT count(*) FROM duckdb_schemas() WHERE database_name = ? AND schema_name = ?", db, schema).Scan(&n)
	return err == nil && n > 0
}

// identName maps a name given in a DSN or parameter to its catalog spelling.
func identName(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return strings.ToUpper(s)
}

// authenticate checks one login; it returns the user or a Snowflake error code and message.
func (s *Server) authenticate(account, login, authenticator, password, token string) (*UserSpec, string, string) {
	const badCreds = "Incorrect username or password was specified."
	var u *UserSpec
	acct := account
	if i := strings.IndexByte(acct, '.'); i > 0 {
		acct = acct[:i]
	}
	if login == "" && authName(authenticator) == "SNOWFLAKE_JWT" {
		login = jwtSubjectUser(token, acct) // the driver names the user only inside the JWT
	}
	for i := range s.users {
		if strings.EqualFold(s.users[i].Account, acct) && strings.EqualFold(s.users[i].User, login) {
			u = &s.users[i]
			break
		}
	}
	if u == nil {
		return nil, "390100", badCreds
	}
	switch authName(authenticator) {
	case "SNOWFLAKE":
		if u.Password != "" && subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) == 1 {
			return u, "", ""
		}
		return nil, "390100", badCreds
	case "SNOWFLAKE_JWT":
		if u.pub == nil {
			return nil, "390144", "JWT token is invalid."
		}
		if err := verifyJWT(token, u.pub, acct, u.User); err != nil {
			s.log.Info("jwt rejected", "user", u.User, "reason", err.Error())
			return nil, "390144", "JWT token is invalid."
		}
		return u, "", ""
	case "PROGRAMMATIC_ACCESS_TOKEN":
		if tokenListed(u.PATs, token) {
			return u, "", ""
		}
		return nil, "394400", "Programmatic access token is invalid."
	case "OAUTH":
		if tokenListed(u.OAuthTokens, token) {
			return u, "", ""
		}
		return nil, "390303", "Invalid OAuth access token."
	default:
		return nil, "390100", "Authenticator " + authName(authenticator) + " is not supported by the emulator."
	}
}

func tokenListed(list []string, tok string) bool {
	ok := false
	for _, t := range list {
		if tok != "" && subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			ok = true
		}
	}
	return ok
}

// jwtSubjectUser reads the user from an (unverified) JWT's sub claim ACCOUNT.USER.
func jwtSubjectUser(tok, account string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	cb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(cb, &claims) != nil {
		return ""
	}
	prefix := strings.ToUpper(account) + "."
	if !strings.HasPrefix(strings.ToUpper(claims.Sub), prefix) {
		return ""
	}
	return claims.Sub[len(prefix):]
}

// verifyJWT checks an RS256 key-pair login token the way Snowflake does:
// signature against the registered key, iss = ACCOUNT.USER.SHA256:<fp>,
// sub = ACCOUNT.USER, and the time window.
func verifyJWT(tok string, pub *rsa.PublicKey, account, user string) error {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JWT")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return fmt.Errorf("header encoding: %w", err)
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(hb, &hdr); err != nil || hdr.Alg != "RS256" {
		return fmt.Errorf("alg must be RS256")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("signature encoding: %w", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	cb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("claims encoding: %w", err)
	}
	var claims struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
		Iat int64  `json:"iat"`
	}
	if err := json.Unmarshal(cb, &claims); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("marshal key: %w", err)
	}
	fp := sha256.Sum256(der)
	prefix := strings.ToUpper(account) + "." + strings.ToUpper(user)
	if claims.Iss != prefix+".SHA256:"+base64.StdEncoding.EncodeToString(fp[:]) {
		return fmt.Errorf("iss mismatch")
	}
	if claims.Sub != prefix {
		return fmt.Errorf("sub mismatch")
	}
	now := time.Now().Unix()
	if claims.Exp != 0 && now > claims.Exp+60 {
		return fmt.Errorf("expired")
	}
	if claims.Iat > now+60 {
		return fmt.Errorf("issued in the future")
	}
	return nil
}
