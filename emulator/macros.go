package emulator

// compatMacros define Snowflake functions DuckDB lacks (or names differently)
// for each session; temp macros shadow DuckDB built-ins of the same name.
var compatMacros = `
CREATE OR REPLACE TEMP MACRO CURRENT_TIMESTAMP() AS now();
CREATE OR REPLACE TEMP MACRO LOCALTIMESTAMP() AS now();
CREATE OR REPLACE TEMP MACRO DATE(x) AS CAST(x AS DATE);
CREATE OR REPLACE TEMP MACRO TO_TIMESTAMP(x) AS coalesce(try_cast(x::VARCHAR AS TIMESTAMP), epoch_ms(CAST(try_cast(x::VARCHAR AS DOUBLE) * 1000 AS BIGINT))), (x, f) AS strptime(x, f);
CREATE OR REPLACE TEMP MACRO TO_TIMESTAMP_NTZ(x) AS coalesce(try_cast(x::VARCHAR AS TIMESTAMP), epoch_ms(CAST(try_cast(x::VARCHAR AS DOUBLE) * 1000 AS BIGINT)));
CREATE OR REPLACE TEMP MACRO TO_TIMESTAMP_LTZ(x) AS CAST(x AS TIMESTAMPTZ);
CREATE OR REPLACE TEMP MACRO TO_NUMBER(x) AS CAST(x AS DECIMAL(38,0)), (x, p) AS CAST(x AS DECIMAL(38,0)), (x, p, s) AS round(CAST(x AS DECIMAL(38,9)), s);
CREATE OR REPLACE TEMP MACRO TO_DECIMAL(x) AS CAST(x AS DECIMAL(38,0)), (x, p) AS CAST(x AS DECIMAL(38,0)), (x, p, s) AS round(CAST(x AS DECIMAL(38,9)), s);
CREATE OR REPLACE TEMP MACRO TO_NUMERIC(x) AS CAST(x AS DECIMAL(38,0)), (x, p) AS CAST(x AS DECIMAL(38,0)), (x, p, s) AS round(CAST(x AS DECIMAL(38,9)), s);
CREATE OR REPLACE TEMP MACRO TO_DOUBLE(x) AS CAST(x AS DOUBLE);
CREATE OR REPLACE TEMP MACRO UUID_STRING() AS gen_random_uuid()::VARCHAR;
CREATE OR REPLACE TEMP MACRO ZEROIFNULL(x) AS coalesce(x, 0);
CREATE OR REPLACE TEMP MACRO NULLIFZERO(x) AS nullif(x, 0);
CREATE OR REPLACE TEMP MACRO NVL2(a, b, c) AS CASE WHEN a IS NOT NULL THEN b ELSE c END;
CREATE OR REPLACE TEMP MACRO CHARINDEX(a, b) AS instr(b, a);
CREATE OR REPLACE TEMP MACRO REGEXP_LIKE(s, p) AS regexp_full_match(s, p);
CREATE OR REPLACE TEMP MACRO SHA2(x) AS sha256(x), (x, n) AS sha256(x);
CREATE OR REPLACE TEMP MACRO SHA2_HEX(x) AS sha256(x);
CREATE OR REPLACE TEMP MACRO MD5_HEX(x) AS md5(x);
CREATE OR REPLACE TEMP MACRO BOOLAND_AGG(x) AS bool_and(x);
CREATE OR REPLACE TEMP MACRO BOOLOR_AGG(x) AS bool_or(x);
CREATE OR REPLACE TEMP MACRO DIV0(a, b) AS CASE WHEN b = 0 THEN 0 ELSE a / b END;
CREATE OR REPLACE TEMP MACRO SQUARE(x) AS x * x;
CREATE OR REPLACE TEMP MACRO OBJECT_KEYS(x) AS json_keys(x);

` + dialectMacros

// dialectMacros are the Snowflake functions built from DuckDB ones. Typed
// overloads keep Snowflake's result types (DATEADD on a DATE is a DATE).
const dialectMacros = `
CREATE OR REPLACE TEMP MACRO SF_ERROR(code, msg) AS error('[sf ' || code || '] ' || msg);
CREATE OR REPLACE TEMP MACRO SF_NZ(b) AS CASE WHEN b = 0 THEN error('[sf 100051] Division by zero') ELSE b END;
CREATE OR REPLACE TEMP MACRO SF_UNIT(p) AS CASE lower(p)
  WHEN 'y' THEN 'year' WHEN 'yy' THEN 'year' WHEN 'yyy' THEN 'year' WHEN 'yyyy' THEN 'year' WHEN 'yr' THEN 'year' WHEN 'years' THEN 'year' WHEN 'yrs' THEN 'year'
  WHEN 'mm' THEN 'month' WHEN 'mon' THEN 'month' WHEN 'mons' THEN 'month' WHEN 'months' THEN 'month'
  WHEN 'd' THEN 'day' WHEN 'dd' THEN 'day' WHEN 'days' THEN 'day' WHEN 'dayofmonth' THEN 'day'
  WHEN 'w' THEN 'week' WHEN 'wk' THEN 'week' WHEN 'weekofyear' THEN 'week' WHEN 'woy' THEN 'week' WHEN 'wy' THEN 'week' WHEN 'weeks' THEN 'week'
  WHEN 'q' THEN 'quarter' WHEN 'qtr' THEN 'quarter' WHEN 'qtrs' THEN 'quarter' WHEN 'quarters' THEN 'quarter'
  WHEN 'h' THEN 'hour' WHEN 'hh' THEN 'hour' WHEN 'hr' THEN 'hour' WHEN 'hours' THEN 'hour' WHEN 'hrs' THEN 'hour'
  WHEN 'm' THEN 'minute' WHEN 'mi' THEN 'minute' WHEN 'min' THEN 'minute' WHEN 'minutes' THEN 'minute' WHEN 'mins' THEN 'minute'
  WHEN 's' THEN 'second' WHEN 'sec' THEN 'second' WHEN 'seconds' THEN 'second' WHEN 'secs' THEN 'second'
  WHEN 'ms' THEN 'millisecond' WHEN 'msec' THEN 'millisecond' WHEN 'milliseconds' THEN 'millisecond'
  WHEN 'us' THEN 'microsecond' WHEN 'usec' THEN 'microsecond' WHEN 'microseconds' THEN 'microsecond'
  WHEN 'ns' THEN 'nanosecond' WHEN 'nsec' THEN 'nanosecond' WHEN 'nanosec' THEN 'nanosecond' WHEN 'nanoseconds' THEN 'nanosecond'
  WHEN 'dw' THEN 'dayofweek' WHEN 'dow' THEN 'dayofweek' WHEN 'weekday' THEN 'dayofweek'
  WHEN 'dy' THEN 'dayofyear' WHEN 'doy' THEN 'dayofyear'
  ELSE lower(p) END;
CREATE OR REPLACE TEMP MACRO DATEADD(p, n, x DATE) AS CASE WHEN SF_UNIT(p) IN ('year', 'quarter', 'month', 'week', 'day') THEN CAST(x + CAST(n AS BIGINT) * CAST('1 ' || SF_UNIT(p) AS INTERVAL) AS DATE) END,
  (p, n, x TIMESTAMP) AS x + CAST(n AS BIGINT) * CAST('1 ' || SF_UNIT(p) AS INTERVAL),
  (p, n, x TIMESTAMPTZ) AS x + CAST(n AS BIGINT) * CAST('1 ' || SF_UNIT(p) AS INTERVAL),
  (p, n, x TIME) AS x + CAST(n AS BIGINT) * CAST('1 ' || SF_UNIT(p) AS INTERVAL),
  (p, n, x VARCHAR) AS CAST(x AS TIMESTAMP) + CAST(n AS BIGINT) * CAST('1 ' || SF_UNIT(p) AS INTERVAL);
CREATE OR REPLACE TEMP MACRO DATEDIFF(p, a, b) AS date_diff(SF_UNIT(p), a, b);
CREATE OR REPLACE TEMP MACRO TIMESTAMPDIFF(p, a, b) AS date_diff(SF_UNIT(p), a, b);
CREATE OR REPLACE TEMP MACRO TIMEDIFF(p, a, b) AS date_diff(SF_UNIT(p), a, b);
CREATE OR REPLACE TEMP MACRO SF_DATE_PART(p, x) AS date_part(SF_UNIT(p), x);
CREATE OR REPLACE TEMP MACRO SF_DATE_TRUNC(p, x DATE) AS CAST(date_trunc(SF_UNIT(p), x) AS DATE),
  (p, x TIMESTAMP) AS date_trunc(SF_UNIT(p), x), (p, x TIMESTAMPTZ) AS date_trunc(SF_UNIT(p), x);
CREATE OR REPLACE TEMP MACRO TO_DATE(x) AS CAST(x AS DATE), (x, f) AS CAST(strptime(x, f) AS DATE);
CREATE OR REPLACE TEMP MACRO TRY_TO_DATE(x) AS TRY_CAST(x AS DATE), (x, f) AS CAST(try_strptime(x, f) AS DATE);
CREATE OR REPLACE TEMP MACRO TRY_TO_TIMESTAMP(x) AS TRY_CAST(x AS TIMESTAMP), (x, f) AS try_strptime(x, f);
CREATE OR REPLACE TEMP MACRO TO_CHAR(x) AS CAST(x AS VARCHAR), (x, f) AS strftime(x, f);
CREATE OR REPLACE TEMP MACRO TO_VARCHAR(x) AS CAST(x AS VARCHAR), (x, f) AS strftime(x, f);
CREATE OR REPLACE TEMP MACRO TRY_TO_NUMBER(x) AS TRY_CAST(x AS DECIMAL(38,0));
CREATE OR REPLACE TEMP MACRO TRY_TO_DECIMAL(x) AS TRY_CAST(x AS DECIMAL(38,0));
CREATE OR REPLACE TEMP MACRO TRY_TO_NUMERIC(x) AS TRY_CAST(x AS DECIMAL(38,0));
CREATE OR REPLACE TEMP MACRO TRY_TO_DOUBLE(x) AS TRY_CAST(x AS DOUBLE);
CREATE OR REPLACE TEMP MACRO TRY_CAST_VARCHAR(x) AS TRY_CAST(x AS VARCHAR);
CREATE OR REPLACE TEMP MACRO REGEXP_SUBSTR(s, p) AS regexp_extract_all(s, p)[1],
  (s, p, pos) AS regexp_extract_all(substr(s, pos), p)[1],
  (s, p, pos, occ) AS regexp_extract_all(substr(s, pos), p)[occ],
  (s, p, pos, occ, params) AS regexp_extract_all(substr(s, pos), p)[occ],
  (s, p, pos, occ, params, grp) AS regexp_extract_all(substr(s, pos), p, grp)[occ];
CREATE OR REPLACE TEMP MACRO REGEXP_COUNT(s, p) AS len(regexp_extract_all(s, p)),
  (s, p, pos) AS len(regexp_extract_all(substr(s, pos), p)),
  (s, p, pos, params) AS len(regexp_extract_all(substr(s, pos), p));
CREATE OR REPLACE TEMP MACRO SF_REGEXP_INSTR(s, p, pos, occ) AS CASE
  WHEN len(regexp_extract_all(substr(s, pos), p)) >= occ THEN pos +
    coalesce(list_sum(list_transform(string_split_regex(substr(s, pos), p)[1:occ], e -> length(e))), 0) +
    coalesce(list_sum(list_transform(regexp_extract_all(substr(s, pos), p)[1:occ - 1], e -> length(e))), 0)
  ELSE 0 END;
CREATE OR REPLACE TEMP MACRO REGEXP_INSTR(s, p) AS SF_REGEXP_INSTR(s, p, 1, 1),
  (s, p, pos) AS SF_REGEXP_INSTR(s, p, pos, 1), (s, p, pos, occ) AS SF_REGEXP_INSTR(s, p, pos, occ);
CREATE OR REPLACE TEMP MACRO SF_REGEXP_REPLACE(s, p) AS regexp_replace(s, p, '', 'g'),
  (s, p, r) AS regexp_replace(s, p, r, 'g');
CREATE OR REPLACE TEMP MACRO RLIKE(s, p) AS regexp_full_match(s, p), (s, p, params) AS regexp_full_match(s, p);
CREATE OR REPLACE TEMP MACRO STARTSWITH(a, b) AS starts_with(a, b);
CREATE OR REPLACE TEMP MACRO ENDSWITH(a, b) AS ends_with(a, b);
CREATE OR REPLACE TEMP MACRO CONVERT_TIMEZONE(tgt, x) AS timezone(tgt, CAST(x AS TIMESTAMPTZ)),
  (src, tgt, x) AS timezone(tgt, timezone(src, CAST(x AS TIMESTAMP)));
CREATE OR REPLACE TEMP MACRO DIV0NULL(a, b) AS CASE WHEN b = 0 OR b IS NULL THEN 0 ELSE a / b END;
CREATE OR REPLACE TEMP MACRO INITCAP(s) AS array_to_string(list_transform(range(1, length(s) + 1), i ->
  CASE WHEN i = 1 OR regexp_matches(substr(s, i - 1, 1), '[\s!?@"^#$&~_,.:;+\-*%/|\\\[\](){}<>]') THEN upper(substr(s, i, 1)) ELSE lower(substr(s, i, 1)) END), '');
CREATE OR REPLACE TEMP MACRO DATE_FROM_PARTS(y, m, d) AS CAST(make_date(CAST(y AS BIGINT), 1, 1) + to_months(CAST(m AS INTEGER) - 1) AS DATE) + CAST(d AS INTEGER) - 1;
CREATE OR REPLACE TEMP MACRO DATEFROMPARTS(y, m, d) AS DATE_FROM_PARTS(y, m, d);
CREATE OR REPLACE TEMP MACRO TIME_FROM_PARTS(h, m, s) AS make_time(CAST(h AS BIGINT), CAST(m AS BIGINT), CAST(s AS DOUBLE));
CREATE OR REPLACE TEMP MACRO TIMESTAMP_FROM_PARTS(y, mo, d, h, mi, s) AS make_timestamp(CAST(y AS BIGINT), CAST(mo AS BIGINT), CAST(d AS BIGINT), CAST(h AS BIGINT), CAST(mi AS BIGINT), CAST(s AS DOUBLE));
CREATE OR REPLACE TEMP MACRO TIME_SLICE(x DATE, n, u) AS CAST(time_bucket(CAST(n || ' ' || SF_UNIT(u) AS INTERVAL), CAST(x AS TIMESTAMP), TIMESTAMP '1970-01-01') AS DATE),
  (x TIMESTAMP, n, u) AS time_bucket(CAST(n || ' ' || SF_UNIT(u) AS INTERVAL), x, TIMESTAMP '1970-01-01'),
  (x DATE, n, u, e) AS CAST(time_bucket(CAST(n || ' ' || SF_UNIT(u) AS INTERVAL), CAST(x AS TIMESTAMP), TIMESTAMP '1970-01-01') + CASE WHEN upper(e) = 'END' THEN CAST(n || ' ' || SF_UNIT(u) AS INTERVAL) ELSE INTERVAL 0 DAY END AS DATE),
  (x TIMESTAMP, n, u, e) AS time_bucket(CAST(n || ' ' || SF_UNIT(u) AS INTERVAL), x, TIMESTAMP '1970-01-01') + CASE WHEN upper(e) = 'END' THEN CAST(n || ' ' || SF_UNIT(u) AS INTERVAL) ELSE INTERVAL 0 DAY END;
CREATE OR REPLACE TEMP MACRO ADD_MONTHS(d DATE, n) AS CASE WHEN d = last_day(d) THEN last_day(CAST(d + to_months(CAST(n AS INTEGER)) AS DATE)) ELSE CAST(d + to_months(CAST(n AS INTEGER)) AS DATE) END,
  (d TIMESTAMP, n) AS d + to_months(CAST(n AS INTEGER)), (d VARCHAR, n) AS CASE WHEN CAST(d AS DATE) = last_day(CAST(d AS DATE)) THEN last_day(CAST(CAST(d AS DATE) + to_months(CAST(n AS INTEGER)) AS DATE)) ELSE CAST(CAST(d AS DATE) + to_months(CAST(n AS INTEGER)) AS DATE) END;
CREATE OR REPLACE TEMP MACRO MONTHS_BETWEEN(a, b) AS CAST(CASE
  WHEN day(a) = day(b) OR (CAST(a AS DATE) = last_day(a) AND CAST(b AS DATE) = last_day(b)) THEN (year(a) - year(b)) * 12 + month(a) - month(b)
  ELSE (year(a) - year(b)) * 12 + month(a) - month(b) + (day(a) - day(b)) / 31.0 END AS DECIMAL(38,6));
CREATE OR REPLACE TEMP MACRO GET_PATH(v, p) AS json_extract(to_json(v), CASE WHEN starts_with(p, '[') THEN '$' || p ELSE '$.' || p END);
CREATE OR REPLACE TEMP MACRO GET(v, k) AS json_extract(to_json(v), CASE WHEN typeof(k) LIKE '%INT%' THEN '$[' || k || ']' ELSE '$."' || k || '"' END);
CREATE OR REPLACE TEMP MACRO OBJECT_AGG(k, v) AS json_group_object(k, v);
CREATE OR REPLACE TEMP MACRO APPROX_PERCENTILE(x, p) AS quantile_cont(CAST(x AS DOUBLE), p);
CREATE OR REPLACE TEMP MACRO APPROX_COUNT_DISTINCT(x) AS count(DISTINCT x);
CREATE OR REPLACE TEMP MACRO HLL(x) AS count(DISTINCT x);
CREATE OR REPLACE TEMP MACRO SF_VARCHAR(x) AS CASE WHEN typeof(x) = 'JSON' THEN json_extract_string(CAST(x AS JSON), '$')
  WHEN typeof(x) LIKE '%[]' OR typeof(x) LIKE 'STRUCT%' OR typeof(x) LIKE 'MAP%' THEN CAST(to_json(x) AS VARCHAR) ELSE CAST(x AS VARCHAR) END;
CREATE OR REPLACE TEMP MACRO SF_TYPEOF(x) AS CASE json_type(to_json(x))
  WHEN 'BIGINT' THEN 'INTEGER' WHEN 'UBIGINT' THEN 'INTEGER'
  WHEN 'DOUBLE' THEN CASE WHEN regexp_matches(CAST(to_json(x) AS VARCHAR), '[eE]') THEN 'DOUBLE' ELSE 'DECIMAL' END
  WHEN 'NULL' THEN 'NULL_VALUE' ELSE json_type(to_json(x)) END;
CREATE OR REPLACE TEMP MACRO SF_ARRAY_SIZE(x) AS CASE WHEN json_type(to_json(x)) = 'ARRAY' THEN json_array_length(to_json(x)) END;
CREATE OR REPLACE TEMP MACRO ARRAY_CONTAINS(v, a) AS list_contains(from_json(to_json(a), '["JSON"]'), to_json(v));
CREATE OR REPLACE TEMP MACRO SF_ARRAY_TO_STRING(a, s) AS array_to_string(from_json(to_json(a), '["VARCHAR"]'), s);
CREATE OR REPLACE TEMP MACRO IS_NULL_VALUE(v) AS json_type(to_json(v)) = 'NULL';
CREATE OR REPLACE TEMP MACRO STRTOK(s, d, n) AS list_filter(string_split_regex(s, '[' || regexp_escape(d) || ']'), e -> e <> '')[n];
CREATE OR REPLACE TEMP MACRO SPLIT_PART(s, d, n) AS CASE WHEN n < 0 THEN string_split(s, d)[len(string_split(s, d)) + 1 + n] WHEN n = 0 THEN string_split(s, d)[1] ELSE coalesce(string_split(s, d)[n], '') END;
CREATE OR REPLACE TEMP MACRO UNIFORM(lo, hi, g) AS CAST(lo + floor(random() * (hi - lo + 1)) AS BIGINT);
CREATE OR REPLACE TEMP MACRO EDITDISTANCE(a, b) AS levenshtein(a, b);
CREATE OR REPLACE TEMP MACRO TRUNCATE(x) AS trunc(x), (x, n) AS trunc(x * pow(10, n)) / pow(10, n);
CREATE OR REPLACE TEMP MACRO IFNULL(a, b) AS coalesce(a, b);
CREATE OR REPLACE TEMP MACRO EQUAL_NULL(a, b) AS a IS NOT DISTINCT FROM b;
CREATE OR REPLACE TEMP MACRO DAYNAME(d) AS strftime(d, '%a');
CREATE OR REPLACE TEMP MACRO MONTHNAME(d) AS strftime(d, '%b');
CREATE OR REPLACE TEMP MACRO SPACE(n) AS repeat(' ', n);
CREATE OR REPLACE TEMP MACRO LEN(s) AS length(s);
CREATE OR REPLACE TEMP MACRO SF_BOOLEAN(x) AS CASE
  WHEN lower(trim(CAST(x AS VARCHAR))) IN ('true', 't', 'yes', 'y', 'on', '1') THEN true
  WHEN lower(trim(CAST(x AS VARCHAR))) IN ('false', 'f', 'no', 'n', 'off', '0') THEN false
  WHEN TRY_CAST(CAST(x AS VARCHAR) AS DOUBLE) IS NOT NULL THEN TRY_CAST(CAST(x AS VARCHAR) AS DOUBLE) <> 0 END;
CREATE OR REPLACE TEMP MACRO TO_BOOLEAN(x) AS CASE WHEN x IS NULL THEN NULL WHEN SF_BOOLEAN(x) IS NULL THEN error('[sf 100037] Boolean value ''' || CAST(x AS VARCHAR) || ''' is not recognized') ELSE SF_BOOLEAN(x) END;
CREATE OR REPLACE TEMP MACRO TRY_TO_BOOLEAN(x) AS SF_BOOLEAN(x);
CREATE OR REPLACE TEMP MACRO INSERT(s, pos, n, r) AS substr(s, 1, pos - 1) || r || substr(s, pos + n);
CREATE OR REPLACE TEMP MACRO STRTOK_TO_ARRAY(s) AS to_json(list_filter(string_split_regex(s, '\s'), e -> e <> '')),
  (s, d) AS to_json(list_filter(string_split_regex(s, '[' || regexp_escape(d) || ']'), e -> e <> ''));
CREATE OR REPLACE TEMP MACRO TO_TIME(x) AS CAST(x AS TIME);
CREATE OR REPLACE TEMP MACRO TIME(x) AS CAST(x AS TIME);
CREATE OR REPLACE TEMP MACRO TRY_PARSE_JSON(x) AS CASE WHEN json_valid(x) THEN json(x) END;
CREATE OR REPLACE TEMP MACRO BITAND(a, b) AS a & b;
CREATE OR REPLACE TEMP MACRO BITOR(a, b) AS a | b;
CREATE OR REPLACE TEMP MACRO BITXOR(a, b) AS xor(a, b);
CREATE OR REPLACE TEMP MACRO BITNOT(a) AS ~a;
CREATE OR REPLACE TEMP MACRO BITSHIFTLEFT(a, n) AS a << n;
CREATE OR REPLACE TEMP MACRO BITSHIFTRIGHT(a, n) AS a >> n;
`
